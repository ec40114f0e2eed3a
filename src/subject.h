/*
 * subject.h
 *    Subjects and their text forms: user:<email>, group:<name>, app:<name>.
 *
 * A subject is a kind and a normalised name (emails lower-cased).  Nothing here
 * reads a table or keeps state, so every other unit may use it.
 */
#ifndef RUNAI_RBAC_SUBJECT_H
#define RUNAI_RBAC_SUBJECT_H

/* Longest subject name (an email of 320 characters). */
#define RBAC_SUBJECT_NAME_MAX	320

typedef enum RbacSubjectKind
{
	RBAC_SUBJECT_USER = 'u',
	RBAC_SUBJECT_GROUP = 'g',
	RBAC_SUBJECT_APP = 'a'
} RbacSubjectKind;

/* "user:<email>", "group:<name>" or "app:<name>", palloc'd. */
extern char *rbac_subject_text(RbacSubjectKind kind, const char *name);

/*
 * Parses "user:<email>", "group:<name>", "app:<name>" or a bare email into a kind
 * and a palloc'd normalised name (emails lower-cased).  Raises 22023 on bad input.
 */
extern void rbac_subject_parse(const char *text, size_t len, RbacSubjectKind *kind,
							   char **name);

#endif							/* RUNAI_RBAC_SUBJECT_H */
