/*
 * hints.c
 *    Details and hints for errors PostgreSQL raises about the extension's objects
 *    (see hints.h).
 *
 * The hook runs while an error is being reported: it reads no catalog, allocates
 * only in ErrorContext and cannot fail in any other way.
 */
#include "postgres.h"

#include "utils/elog.h"
#include "utils/memutils.h"

#include "hints.h"

/* aclcheck_error()'s message for a function the current role may not execute. */
#define FUNCTION_DENIED_MSGID	"permission denied for function %s"
#define SSO_SIGN_IN				"sso_sign_in"

static emit_log_hook_type prev_emit_log_hook = NULL;

/*
 * emit_log_hook: "permission denied for function sso_sign_in" gets a detail and
 * a hint that say why and how to grant it, unless it already has them.
 */
static void
hints_emit_log(ErrorData *edata)
{
	if (edata->elevel == ERROR &&
		edata->sqlerrcode == ERRCODE_INSUFFICIENT_PRIVILEGE &&
		edata->message_id != NULL && strcmp(edata->message_id, FUNCTION_DENIED_MSGID) == 0 &&
		edata->message != NULL && edata->hint == NULL && edata->detail == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(ErrorContext);
		char	   *expected = psprintf(_(FUNCTION_DENIED_MSGID), SSO_SIGN_IN);

		if (strcmp(edata->message, expected) == 0)
		{
			edata->detail = pstrdup("runai.sso_sign_in trusts the email and groups it is given, so only the identity-provider bridge may call it.");
			edata->hint = pstrdup("An administrator grants it to the bridge's database role: GRANT EXECUTE ON FUNCTION runai.sso_sign_in(text, text[]) TO <bridge role>;");
		}
		pfree(expected);
		MemoryContextSwitchTo(old);
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/* See hints.h. */
void
rbac_hints_init(void)
{
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = hints_emit_log;
}
