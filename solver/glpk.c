/* glpk.c - every GLPK call runs here, silenced, its internal errors made codes */
/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <glpk.h>

#include "ewc.h"
#include "solver.h"

/* GLPK reports internal errors by calling the error hook and then abort():
 * the hook jumps back here instead. Everything GLPK allocated in this
 * thread is then released with glp_free_env(). */
typedef struct guard {
	jmp_buf jb;
	char said[512];  /* GLPK's last terminal output: its error's text */
} guard;

static void on_glpk_error(void *info)
{
	longjmp(((guard *)info)->jb, 1);
}

/* Swallow all terminal output, keeping the tail for an error message. */
static int glpk_quiet(void *info, const char *s)
{
	guard *g = info;
	size_t have = strlen(g->said), n = strlen(s);

	if (n >= sizeof g->said)
		s += n - (sizeof g->said - 1), n = sizeof g->said - 1;
	if (have + n >= sizeof g->said) { /* keep the newest text */
		size_t drop = have + n - (sizeof g->said - 1);
		memmove(g->said, g->said + drop, have - drop + 1);
		have -= drop;
	}
	memcpy(g->said + have, s, n + 1);
	return 1;
}

int ewc__glpk_run(int (*fn)(void *arg, char *err, size_t errlen), void *arg, char *err,
                  size_t errlen)
{
	guard g;
	int rc, used_before;
	int count = 0, cpeak = 0;
	size_t total = 0, tpeak = 0;

	/* GLPK keeps one environment per thread. If this thread has no GLPK
	 * objects of its own, free the environment afterwards so nothing stays
	 * allocated between calls. */
	glp_mem_usage(&count, &cpeak, &total, &tpeak);
	used_before = count > 0;
	g.said[0] = '\0';
	glp_term_hook(glpk_quiet, &g);
	glp_error_hook(on_glpk_error, &g);
	if (setjmp(g.jb) == 0) {
		rc = fn(arg, err, errlen);
		glp_error_hook(NULL, NULL);
		glp_term_hook(NULL, NULL);
		if (!used_before)
			glp_free_env();
	} else {
		/* GLPK prints the reason, then "Error detected in file ...": keep
		 * the reason's last line */
		char *at = strstr(g.said, "Error detected"), *line;
		if (at)
			*at = '\0';
		while ((at = strrchr(g.said, '\n')) != NULL && at[1] == '\0')
			*at = '\0';
		line = strrchr(g.said, '\n');
		line = line ? line + 1 : g.said;
		glp_term_hook(NULL, NULL);
		if (strstr(line, "no memory")) {
			rc = EWC_ENOMEM;
			snprintf(err, errlen, "out of memory in GLPK (%s): place fewer jobs at once, "
			         "use --solver decompose, or give it more memory", line);
		} else {
			rc = EWC_ESOLVER;
			snprintf(err, errlen, "GLPK stopped with an internal error%s%s%s",
			         *line ? " (" : "", line, *line ? ")" : "");
		}
		/* after an error GLPK's state is undefined: drop all of it */
		glp_free_env();
	}
	return rc;
}
