/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfr-test.h: isolated test cases under vfr-preload.so (HARNESS.md,
 * "Isolated test cases"). Header only, plain POSIX: no glib, no cmocka.
 *
 * Each case names its host (a description file or the description's text)
 * and its fault rules; the runner forks one child per case, makes a fresh
 * tree for it with vfr-mkfixture, adds the rules, points VFR_MOCK_ROOT at
 * it and runs the case there. The parent never sets a mock root, so the
 * preload in it holds nothing (no descriptors of a fixture, no cached
 * rules, no VFIO objects) and every child starts from that state: what a
 * case leaves behind (a thread hung in a fault, an open group, a working
 * directory in its tree, a changed environment, a child process) ends with
 * its process group, and its tree is removed. The results are TAP on
 * stdout (`protocol: 'tap'` in meson); what a case prints goes to stderr.
 *
 *   static int test_claim(const struct vfr_test *t) { ...; return VFR_TEST_OK; }
 *
 *   int main(int argc, char **argv)
 *   {
 *           const struct vfr_test tests[] = {
 *                   { .name = "claim", .run = test_claim, .fixture = "host.ini",
 *                     .faults = "open /dev/vfio/2 errno=EBUSY after=1\n" },
 *           };
 *           return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
 *   }
 *
 * Command line: no argument runs every case in the table's order; names
 * run those cases in the order given (a name twice runs the case twice);
 * --list prints the names. Environment: VFR_MKFIXTURE (else vfr-mkfixture
 * in PATH), VFR_FIXTURES (the directory of relative .fixture names, else
 * the working directory), VFR_MOCK_PRELOAD (when the program did not start
 * with the preload loaded, it re-executes itself once with it appended to
 * LD_PRELOAD), VFR_TEST_IN_PROCESS=1 (every case in the runner's own
 * process, one after another: the way cases were run before isolation,
 * kept to show what isolation prevents), TMPDIR (where the trees are made).
 */
#pragma once

/* nftw(), execvpe(), waitid(): define it before the first #include, or build with -D_GNU_SOURCE. */
#ifndef _GNU_SOURCE
#error "vfr-test.h needs _GNU_SOURCE"
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* What a case's run() returns (the exit status of its child). */
#define VFR_TEST_OK 0
#define VFR_TEST_FAIL 1
#define VFR_TEST_SKIP 77 /* automake's and meson's skip status */

struct vfr_test {
	const char *name;
	const char *description; /* optional: one line, shown in --list */
	/* The host, one of: */
	const char *fixture; /* a description file; a relative name is under $VFR_FIXTURES */
	const char *host;    /* the description itself (FIXTURES.md) */
	/* NULL for neither: no tree, no mock root (a case that makes its own). */
	const char *faults;  /* rules, one per line, added to ROOT/.vfr-mock/faults */
	int (*run)(const struct vfr_test *t); /* VFR_TEST_OK, VFR_TEST_FAIL or VFR_TEST_SKIP */
	const void *data;    /* the case's own (an adapter's: the cmocka test to run) */
};

#define VFR_TEST_N(array) (sizeof(array) / sizeof((array)[0]))

/*
 * Ends the running case as skipped (status 77), from anywhere inside it:
 * its process ends here, without exit handlers (a leak checker would count
 * what the case had not freed yet).
 */
static inline __attribute__((noreturn, format(printf, 1, 2))) void
vfr_test_skip(const char *fmt, ...)
{
	va_list ap;

	fputs("SKIP: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(NULL);
	_exit(VFR_TEST_SKIP);
}

/* The running case's tree (its VFR_MOCK_ROOT), NULL for a case without one. */
static inline const char *vfr_test_root(void)
{
	const char *root = getenv("VFR_MOCK_ROOT");

	return root && *root ? root : NULL;
}

static inline void vfr_test_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void vfr_test_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static inline int vfr_test__remove(const char *path, const struct stat *st, int type,
				   struct FTW *ftw)
{
	(void)ftw;
	/* A case may leave a directory without write or search permission. */
	if (type == FTW_DNR || (type == FTW_DP && !(st->st_mode & S_IWUSR)))
		chmod(path, 0700);
	(type == FTW_DP || type == FTW_DNR) ? rmdir(path) : unlink(path);
	return 0;
}

static inline void vfr_test__rmtree(const char *dir)
{
	nftw(dir, vfr_test__remove, 32, FTW_DEPTH | FTW_PHYS);
	rmdir(dir);
}

/* The environment vfr-mkfixture runs in: without the preload and without a mock root. */
static inline char **vfr_test__clean_env(void)
{
	extern char **environ;
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0 &&
		    strncmp(environ[i], "VFR_MOCK_ROOT=", 14) != 0)
			env[k++] = environ[i];
	return env;
}

/* Runs vfr-mkfixture DESC ROOT; 0, or -1 after saying why. */
static inline int vfr_test__mkfixture(const char *desc, const char *root)
{
	const char *mk = getenv("VFR_MKFIXTURE");
	char **env = vfr_test__clean_env();
	int status;
	pid_t pid;

	if (!mk || !*mk)
		mk = "vfr-mkfixture";
	if (!env)
		return -1;
	pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)mk, (char *)desc, (char *)root, NULL };

		dup2(STDERR_FILENO, STDOUT_FILENO);
		if (strchr(mk, '/'))
			execve(mk, argv, env);
		else
			execvpe(mk, argv, env);
		fprintf(stderr, "# cannot run %s: %s\n", mk, strerror(errno));
		_exit(127);
	}
	free(env);
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		vfr_test_diag("cannot run %s: %s", mk, strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		vfr_test_diag("%s %s %s failed (status %d)", mk, desc, root, status);
		return -1;
	}
	return 0;
}

static inline int vfr_test__write(const char *path, const char *text, int flags)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, len);
	if (n == (ssize_t)len && len > 0 && text[len - 1] != '\n')
		n = write(fd, "\n", 1) == 1 ? (ssize_t)len : -1;
	if (close(fd) < 0 || n != (ssize_t)len)
		return -1;
	return 0;
}

/*
 * Makes the case's tree in @dir (dir/root, from dir/host.ini for an inline
 * description) with its rules, and makes it the mock root; 0 or -1.
 */
static inline int vfr_test__prepare(const struct vfr_test *t, const char *dir)
{
	const char *fixtures = getenv("VFR_FIXTURES");
	char desc[PATH_MAX], root[PATH_MAX], faults[PATH_MAX];
	int n;

	if (!t->fixture && !t->host)
		return unsetenv("VFR_MOCK_ROOT");
	if (t->host)
		n = snprintf(desc, sizeof(desc), "%s/host.ini", dir);
	else if (t->fixture[0] == '/' || !fixtures)
		n = snprintf(desc, sizeof(desc), "%s", t->fixture);
	else
		n = snprintf(desc, sizeof(desc), "%s/%s", fixtures, t->fixture);
	if (n < 0 || (size_t)n >= sizeof(desc) ||
	    (size_t)snprintf(root, sizeof(root), "%s/root", dir) >= sizeof(root) ||
	    (size_t)snprintf(faults, sizeof(faults), "%s/.vfr-mock/faults", root) >= sizeof(faults)) {
		vfr_test_diag("%s: path too long", dir);
		return -1;
	}
	if (t->host && vfr_test__write(desc, t->host, O_TRUNC) < 0) {
		vfr_test_diag("%s: %s", desc, strerror(errno));
		return -1;
	}
	if (vfr_test__mkfixture(desc, root) < 0)
		return -1;
	if (t->faults && vfr_test__write(faults, t->faults, O_APPEND) < 0) {
		vfr_test_diag("%s: %s", faults, strerror(errno));
		return -1;
	}
	return setenv("VFR_MOCK_ROOT", root, 1);
}

/* In the child: its own process group (what it leaves running ends with it), then the case. */
static inline __attribute__((noreturn)) void vfr_test__child(const struct vfr_test *t,
							     const char *dir)
{
	int r;

	setpgid(0, 0);
	/* TAP is the parent's stdout alone. */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	if (vfr_test__prepare(t, dir) < 0)
		_exit(VFR_TEST_FAIL);
	r = t->run(t);
	fflush(NULL);
	exit(r);
}

/* Prints the TAP line of case @n; true when it passed or was skipped. */
static inline bool vfr_test__report(unsigned n, const struct vfr_test *t, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == VFR_TEST_OK) {
		printf("ok %u - %s\n", n, t->name);
		return true;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == VFR_TEST_SKIP) {
		printf("ok %u - %s # SKIP\n", n, t->name);
		return true;
	}
	if (WIFSIGNALED(status))
		printf("not ok %u - %s # killed by signal %d (%s)\n", n, t->name, WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
	else
		printf("not ok %u - %s # exit status %d\n", n, t->name, WEXITSTATUS(status));
	return false;
}

/* Runs case @t as case number @n; true when it passed or was skipped. */
static inline bool vfr_test__one(unsigned n, const struct vfr_test *t, bool in_process)
{
	char dir[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	int status;
	pid_t pid;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/vfr-test-XXXXXX", tmp && *tmp ? tmp : "/tmp") >=
		    sizeof(dir) ||
	    !mkdtemp(dir)) {
		vfr_test_diag("%s: %s", dir, strerror(errno));
		printf("not ok %u - %s # no temporary directory\n", n, t->name);
		return false;
	}
	fflush(NULL);
	if (in_process) {
		int r = vfr_test__prepare(t, dir) < 0 ? VFR_TEST_FAIL : t->run(t);

		fflush(NULL);
		status = (r & 0xff) << 8; /* as waitpid() reports exit(r) */
		unsetenv("VFR_MOCK_ROOT");
	} else {
		pid = fork();
		if (pid == 0)
			vfr_test__child(t, dir);
		if (pid < 0) {
			vfr_test_diag("fork: %s", strerror(errno));
			status = VFR_TEST_FAIL << 8;
		} else {
			siginfo_t info;

			/* Also set here: the group must exist before it is killed below. */
			setpgid(pid, pid);
			/*
			 * Waited for without reaping it, so its group's id is not
			 * reused before what the case left running (a hung helper,
			 * a forked holder) is killed.
			 */
			while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 &&
			       errno == EINTR)
				;
			kill(-pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
		}
	}
	vfr_test__rmtree(dir);
	return vfr_test__report(n, t, status);
}

static inline const struct vfr_test *vfr_test__find(const struct vfr_test *tests, size_t n,
						    const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tests[i].name, name) == 0)
			return &tests[i];
	return NULL;
}

/*
 * A program started without the preload in LD_PRELOAD re-executes itself
 * once with $VFR_MOCK_PRELOAD appended (kept after a sanitizer runtime that
 * must come first): the preload must be there when the program is loaded.
 */
static inline void vfr_test__ensure_preload(char **argv)
{
	const char *preload = getenv("VFR_MOCK_PRELOAD");
	const char *have = getenv("LD_PRELOAD");
	char *list;

	if (!preload || !*preload || (have && strstr(have, preload)))
		return;
	if (have && *have) {
		list = malloc(strlen(have) + strlen(preload) + 2);
		if (!list)
			return;
		sprintf(list, "%s:%s", have, preload);
	} else {
		list = strdup(preload);
		if (!list)
			return;
	}
	setenv("LD_PRELOAD", list, 1);
	free(list);
	execv("/proc/self/exe", argv);
	vfr_test_diag("cannot re-execute with %s: %s", preload, strerror(errno));
}

static inline int vfr_test_main(int argc, char **argv, const struct vfr_test *tests, size_t n)
{
	const char *mode = getenv("VFR_TEST_IN_PROCESS");
	bool in_process = mode && strcmp(mode, "1") == 0;
	unsigned count = argc > 1 ? (unsigned)argc - 1 : (unsigned)n, failed = 0;

	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%s%s%s\n", tests[i].name, tests[i].description ? "\t" : "",
			       tests[i].description ? tests[i].description : "");
		return 0;
	}
	for (int i = 1; i < argc; i++)
		if (!vfr_test__find(tests, n, argv[i])) {
			fprintf(stderr, "%s: no case named %s (--list shows them)\n", argv[0],
				argv[i]);
			return 2;
		}
	vfr_test__ensure_preload(argv);
	/* The mock root is each case's own; none is inherited from the caller. */
	unsetenv("VFR_MOCK_ROOT");
	printf("TAP version 13\n1..%u\n", count);
	for (unsigned i = 0; i < count; i++) {
		const struct vfr_test *t = argc > 1 ? vfr_test__find(tests, n, argv[i + 1]) : &tests[i];

		if (!vfr_test__one(i + 1, t, in_process))
			failed++;
	}
	return failed ? 1 : 0;
}
