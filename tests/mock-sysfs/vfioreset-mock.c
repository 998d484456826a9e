/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioreset-mock: runs a program against a simulated host (HARNESS.md).
 *
 *   vfioreset-mock [--keep] DESCRIPTION.ini -- CMD [ARG...]
 *   vfioreset-mock ROOT -- CMD [ARG...]
 *
 * A description is turned into a tree in a temporary directory, removed
 * when CMD ends (--keep leaves it and prints where); a ROOT is used as it
 * is, and keeps whatever CMD did to it; a directory vfr-mkfixture did not
 * make (a copy of a host's /sys) is refused: capture it first. CMD runs with VFR_MOCK_ROOT set and
 * vfr-preload.so appended to LD_PRELOAD. Exit status: CMD's (128 + N when a
 * signal N ended it), 125 when this program fails, 126 when CMD cannot be
 * run, 127 when it is not found (env(1)'s conventions).
 */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mkfixture.h"

#define EXIT_MOCK 125

static volatile sig_atomic_t child_pid;

static int usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "vfioreset-mock: %s\n", msg);
	fprintf(msg ? stderr : stdout,
		"Usage: vfioreset-mock [--keep] DESCRIPTION.ini|ROOT -- CMD [ARG...]\n"
		"Runs CMD with /sys, /dev/vfio, /dev/iommu and /lib/modules taken from a\n"
		"simulated host (see tests/mock-sysfs/HARNESS.md).\n"
		"  --keep   leave the tree made from DESCRIPTION.ini and print its path\n");
	return msg ? EXIT_MOCK : 0;
}

/* $VFR_MOCK_PRELOAD, the build tree's copy beside this program, or the installed one. */
static char *find_preload(void)
{
	const char *env = getenv("VFR_MOCK_PRELOAD");
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
	char *beside;

	if (env && *env)
		return g_strdup(env);
	beside = dir ? g_build_filename(dir, "preload", "vfr-preload.so", NULL) : NULL;
	if (beside && g_file_test(beside, G_FILE_TEST_IS_REGULAR))
		return beside;
	g_free(beside);
	return g_strdup(VFR_PRELOAD_INSTALLED);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static void forward(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

static void run(char **cmd)
{
	execvp(cmd[0], cmd);
	fprintf(stderr, "vfioreset-mock: %s: %s\n", cmd[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Runs @cmd in a child and waits, passing on the signals that would end us first. */
static int run_and_wait(char **cmd)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_handler = forward };
	int status;
	pid_t pid, r;

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	pid = fork();
	if (pid < 0) {
		perror("vfioreset-mock: fork");
		return EXIT_MOCK;
	}
	if (pid == 0) {
		sa.sa_handler = SIG_DFL;
		for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++)
			sigaction(sigs[i], &sa, NULL);
		run(cmd);
	}
	child_pid = pid;
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		perror("vfioreset-mock: waitpid");
		return EXIT_MOCK;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	g_autofree char *preload = find_preload();
	g_autofree char *tmp = NULL, *root = NULL, *ld = NULL;
	g_autoptr(GError) err = NULL;
	const char *fixture = NULL, *old;
	bool keep = false;
	int i, status;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(NULL);
		if (strcmp(argv[i], "--keep") == 0)
			keep = true;
		else if (strcmp(argv[i], "--") == 0)
			break;
		else if (argv[i][0] == '-' || fixture)
			return usage("expected DESCRIPTION.ini or ROOT, then -- and a command");
		else
			fixture = argv[i];
	}
	if (!fixture || i >= argc - 1)
		return usage("expected DESCRIPTION.ini or ROOT, then -- and a command");

	if (g_file_test(fixture, G_FILE_TEST_IS_DIR)) {
		g_autofree char *marker = g_build_filename(fixture, ".vfr-mock", "host", NULL);

		/*
		 * A copy of a host's /sys says what the host looked like, not how
		 * its kernel reacts: which reset methods went stale, what each
		 * driver matches. Simulating it would answer with guesses.
		 */
		if (!g_file_test(marker, G_FILE_TEST_IS_REGULAR)) {
			fprintf(stderr,
				"vfioreset-mock: %s: not a vfr-mkfixture tree (no .vfr-mock/host); "
				"capture it first:\n"
				"  vfr-mkfixture --capture %s > host.ini\n"
				"  vfioreset-mock host.ini -- CMD...\n",
				fixture, fixture);
			return EXIT_MOCK;
		}
		root = realpath(fixture, NULL);
	} else {
		struct fixture *fx = fixture_load(fixture, &err);

		tmp = g_dir_make_tmp("vfioreset-mock-XXXXXX", &err);
		if (!fx || !tmp || !fixture_write(fx, tmp, true, &err)) {
			fprintf(stderr, "vfioreset-mock: %s\n", err->message);
			fixture_free(fx);
			if (tmp)
				nftw(tmp, remove_entry, 64, FTW_DEPTH | FTW_PHYS);
			return EXIT_MOCK;
		}
		fixture_free(fx);
		root = g_strdup(tmp);
	}
	if (!root) {
		fprintf(stderr, "vfioreset-mock: %s: %s\n", fixture, strerror(errno));
		return EXIT_MOCK;
	}
	if (!g_file_test(preload, G_FILE_TEST_IS_REGULAR)) {
		fprintf(stderr, "vfioreset-mock: %s does not exist (set VFR_MOCK_PRELOAD)\n",
			preload);
		return EXIT_MOCK;
	}

	/* Appended: a sanitizer runtime that must come first stays first. */
	old = getenv("LD_PRELOAD");
	ld = old && *old ? g_strconcat(old, ":", preload, NULL) : g_strdup(preload);
	if (setenv("LD_PRELOAD", ld, 1) < 0 || setenv("VFR_MOCK_ROOT", root, 1) < 0) {
		perror("vfioreset-mock: setenv");
		return EXIT_MOCK;
	}
	if (!tmp)
		run(argv + i + 1);

	status = run_and_wait(argv + i + 1);
	if (keep)
		fprintf(stderr, "vfioreset-mock: the tree is in %s\n", tmp);
	else if (nftw(tmp, remove_entry, 64, FTW_DEPTH | FTW_PHYS) < 0)
		fprintf(stderr, "vfioreset-mock: cannot remove %s: %s\n", tmp, strerror(errno));
	return status;
}
