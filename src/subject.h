/*
 * subject.h
 *    Subjects and their text forms: user:<email>, group:<name>, app:<name>; and the
 *    one rule for what an email is.
 *
 * A subject is a kind and a normalised name.  Emails are exact identities (SPEC
 * section 3.1): the text as given must be ASCII and match the email pattern, and
 * only ASCII letters are folded to lower case -- never lower() of the database's
 * collation, which maps the Kelvin sign to "k" and, in a Turkish locale, "I" to a
 * dotless i, so that two different texts would name one user.  Nothing here reads
 * a table or keeps state, so every other unit may use it.
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
 * and a palloc'd normalised name (emails as rbac_email_normalize makes them).
 * Raises 22023 on bad input, an invalid email included.
 */
extern void rbac_subject_parse(const char *text, size_t len, RbacSubjectKind *kind,
							   char **name);

/*
 * Checks an email and writes its normal form to out (len + 1 bytes): valid only
 * if every byte is ASCII, it has at most RBAC_SUBJECT_NAME_MAX characters and it
 * matches ^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$; the normal form has
 * A-Z folded to a-z and nothing else changed.  Returns NULL when valid, else a
 * sentence saying why not (for an error detail).  Calls no server function.
 */
extern const char *rbac_email_normalize(const char *in, size_t len, char *out);

/*
 * The normal form of an email argument of a function (palloc'd); 22023 naming the
 * argument and the reason when it is not a valid email.
 */
extern char *rbac_email_arg(const char *in, size_t len, const char *argument);

#endif							/* RUNAI_RBAC_SUBJECT_H */
