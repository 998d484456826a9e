/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs under vfr-preload.so: every libc call that creates, removes, renames
 * or changes a path below the allow-list acts in the fixture and never on
 * the host; a call between the fixture and the host fails with EXDEV; a
 * fixture without ROOT/run still gets the state directory; a root that
 * vfr-mkfixture did not make is refused (EIO and a message), never
 * silently inert.
 */
#include "test-tree.h"

#include <sys/syscall.h>

#define HOST                                                                                  \
	"[driver vfio-pci]\n"                                                                 \
	"[device 0000:00:1c.0]\nkind=root-port\nvendor=1b36\ndevice=000c\ndriver=pcieport\n"  \
	"iommu_group=1\n"                                                                     \
	"[device 0000:01:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.0\n"              \
	"driver=e1000e\niommu_group=2\nreset_method=pm bus\ncaps=pm,msi,msix\n"

/* The state directory's name on the host and in the fixture: unique to this run. */
static char state[64];

static int setup(void **state_out)
{
	*state_out = tree_new(HOST);
	return 0;
}

/* The host's own answer, past the preload (a raw system call). */
static bool host_exists(const char *path)
{
	struct stat st;

	return syscall(SYS_newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* /run/vfioreset/STATE/@name; four at a time stay valid (one call may name two). */
static const char *host_path(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static const char *host_path(const char *fmt, ...)
{
	static char bufs[4][PATH_MAX];
	static unsigned int next;
	char *buf = bufs[next++ % 4];
	char name[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	snprintf(buf, PATH_MAX, "/run/vfioreset/%s/%s", state, name);
	return buf;
}

/* mkdir, mkdirat, the link calls, mknod, mkfifo, rename: in the fixture only. */
static void test_creating(void **state_in)
{
	struct tree *t = *state_in;
	g_autofree char *base = g_strdup_printf("/run/vfioreset/%s", state);
	const char *names[] = { "mkdirat", "sym", "symat", "hard", "hardat", "fifo",
				"fifoat", "node", "nodeat", "renamed", "renamedat", "renamed2" };
	int fd;

	assert_int_equal(g_mkdir_with_parents(base, 0755), 0);
	assert_true(tree_has(t, "run/vfioreset/%s", state));
	assert_int_equal(mkdirat(AT_FDCWD, host_path("mkdirat"), 0755), 0);
	assert_int_equal(symlink("../elsewhere", host_path("sym")), 0);
	assert_int_equal(symlinkat("../elsewhere", AT_FDCWD, host_path("symat")), 0);
	fd = open(host_path("file"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(link(host_path("file"), host_path("hard")), 0);
	assert_int_equal(linkat(AT_FDCWD, host_path("file"), AT_FDCWD, host_path("hardat"), 0), 0);
	assert_int_equal(mkfifo(host_path("fifo"), 0600), 0);
	assert_int_equal(mkfifoat(AT_FDCWD, host_path("fifoat"), 0600), 0);
	assert_int_equal(mknod(host_path("node"), S_IFIFO | 0600, 0), 0);
	assert_int_equal(mknodat(AT_FDCWD, host_path("nodeat"), S_IFIFO | 0600, 0), 0);
	fd = open(host_path("a"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	close(fd);
	assert_int_equal(rename(host_path("a"), host_path("renamed")), 0);
	fd = open(host_path("b"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	close(fd);
	assert_int_equal(renameat(AT_FDCWD, host_path("b"), AT_FDCWD, host_path("renamedat")), 0);
	fd = open(host_path("c"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	close(fd);
	assert_int_equal(renameat2(AT_FDCWD, host_path("c"), AT_FDCWD, host_path("renamed2"),
				   RENAME_NOREPLACE),
			 0);
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		const char *host = host_path("%s", names[i]);

		if (!tree_has(t, "run/vfioreset/%s/%s", state, names[i]))
			fail_msg("%s: not made in the fixture", names[i]);
		if (host_exists(host))
			fail_msg("%s: made on the host", host);
	}
	{
		g_autofree char *sym = tree_path(t, "run/vfioreset/%s/sym", state);
		g_autofree char *target = g_file_read_link(sym, NULL);

		/* A link's target is its content: kept as the program wrote it. */
		assert_string_equal(target, "../elsewhere");
	}
	assert_false(tree_has(t, "run/vfioreset/%s/a", state));
	assert_false(host_exists(base));
}

/* unlink, unlinkat, rmdir, remove, chmod, truncate, utimensat, xattrs. */
static void test_changing(void **state_in)
{
	struct tree *t = *state_in;
	g_autofree char *fx_file = tree_path(t, "run/vfioreset/%s/f", state);
	g_autofree char *fx_dir = tree_path(t, "run/vfioreset/%s/d", state);
	g_autofree char *base = g_strdup_printf("/run/vfioreset/%s", state);
	g_autofree char *vendor = tree_path(t, "sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0/"
					     "vendor");
	struct timespec times[2] = { { .tv_sec = 1000000000 }, { .tv_sec = 1000000000 } };
	struct stat st;
	int fd;

	assert_int_equal(g_mkdir_with_parents(base, 0755), 0);
	fd = open(host_path("f"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "12345", 5), 5);
	close(fd);
	assert_int_equal(truncate(host_path("f"), 2), 0);
	assert_int_equal(chmod(host_path("f"), 0600), 0);
	assert_int_equal(fchmodat(AT_FDCWD, host_path("f"), 0640, 0), 0);
	assert_int_equal(utimensat(AT_FDCWD, host_path("f"), times, 0), 0);
	assert_int_equal(stat(fx_file, &st), 0);
	assert_int_equal(st.st_size, 2);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_mtime, 1000000000);
	assert_int_equal(unlink(host_path("f")), 0);
	assert_false(exists(fx_file));

	assert_int_equal(mkdir(host_path("d"), 0755), 0);
	assert_int_equal(rmdir(host_path("d")), 0);
	assert_false(exists(fx_dir));
	assert_int_equal(mkdir(host_path("d"), 0755), 0);
	assert_int_equal(remove(host_path("d")), 0);
	assert_false(exists(fx_dir));
	assert_int_equal(mkdir(host_path("d"), 0755), 0);
	assert_int_equal(unlinkat(AT_FDCWD, host_path("d"), AT_REMOVEDIR), 0);
	assert_false(exists(fx_dir));

	/* Below /sys too: the fixture's attribute changes, the host's never could. */
	assert_int_equal(chmod("/sys/bus/pci/devices/0000:01:00.0/vendor", 0400), 0);
	assert_int_equal(stat(vendor, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0400);
}

/* mkstemp and mkdtemp name their file in the fixture and hand back the name. */
static void test_temporary(void **state_in)
{
	struct tree *t = *state_in;
	g_autofree char *base = g_strdup_printf("/run/vfioreset/%s", state);
	g_autofree char *file = g_strdup_printf("%s/tmp.XXXXXX", base);
	g_autofree char *suffixed = g_strdup_printf("%s/tmp.XXXXXX.state", base);
	g_autofree char *dir = g_strdup_printf("%s/dir.XXXXXX", base);
	int fd;

	assert_int_equal(g_mkdir_with_parents(base, 0755), 0);
	fd = mkstemp(file);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_null(strstr(file, "XXXXXX"));
	assert_true(tree_has(t, "%s", file));
	assert_false(host_exists(file));
	fd = mkostemps(suffixed, 6, O_CLOEXEC);
	assert_true(fd >= 0);
	close(fd);
	assert_true(g_str_has_suffix(suffixed, ".state"));
	assert_true(tree_has(t, "%s", suffixed));
	assert_non_null(mkdtemp(dir));
	assert_true(tree_has(t, "%s", dir));
	assert_false(host_exists(dir));
}

/* One path in the fixture, the other on the host: EXDEV, and nothing moves. */
static void test_cross(void **state_in)
{
	struct tree *t = *state_in;
	g_autofree char *outside = g_build_filename(t->dir, "outside", NULL);
	g_autofree char *base = g_strdup_printf("/run/vfioreset/%s", state);
	int fd;

	assert_int_equal(g_mkdir_with_parents(base, 0755), 0);
	fd = open(outside, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	close(fd);
	assert_int_equal(rename(outside, host_path("in")), -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(link(outside, host_path("in")), -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(rename("/sys/bus/pci/devices/0000:01:00.0/numa_node", outside), -1);
	assert_int_equal(errno, EXDEV);
	assert_true(exists(outside));
	assert_false(tree_has(t, "run/vfioreset/%s/in", state));
}

/*
 * A tree without ROOT/run: the host has /run, so creating /run/vfioreset
 * (g_mkdir_with_parents, as the library's state directory is made) works,
 * and so does a file created there at once.
 */
static void test_prefix_parent(void **state_in)
{
	struct tree *t = *state_in;
	g_autofree char *run = tree_path(t, "run");
	g_autofree char *pending = g_strdup_printf("/run/vfioreset/%s/pending", state);
	int fd;

	tree_rm(run);
	assert_false(exists(run));
	assert_int_equal(g_mkdir_with_parents(pending, 0755), 0);
	assert_true(tree_has(t, "%s", pending));

	tree_rm(run);
	fd = open("/run/vfioreset", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(mkdir("/run/vfioreset", 0755), 0);
	tree_rm(run);
	/* The prefix itself is not made up: only what the host has above it. */
	fd = open("/run/vfioreset/x/y", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ENOENT);
	assert_true(exists(run));
}

/* A copy of a tree without .vfr-mock, and a root that does not exist: refused with EIO. */
static void test_refused(void **state_in)
{
	struct tree *t = *state_in;
	g_autofree char *copy = g_build_filename(t->dir, "copy", NULL);
	g_autofree char *mock = g_build_filename(copy, ".vfr-mock", NULL);
	g_autofree char *missing = g_build_filename(t->dir, "no-such-root", NULL);
	g_autofree char *reset = g_build_filename(copy, "sys/devices/pci0000:00/0000:00:1c.0/"
						  "0000:01:00.0/reset_method", NULL);
	g_autofree char *before = NULL, *after = NULL;
	const char *cp[] = { "cp", "-a", t->root, copy, NULL };
	int fd, status = -1;

	/* What a user has who copies a host's /sys: the files, none of the kernel. */
	unsetenv("VFR_MOCK_ROOT");
	assert_true(g_spawn_sync(NULL, (char **)cp, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
				 NULL, &status, NULL));
	assert_int_equal(status, 0);
	tree_rm(mock);
	assert_true(g_file_get_contents(reset, &before, NULL, NULL));
	setenv("VFR_MOCK_ROOT", copy, 1);

	assert_int_equal(access("/sys/bus/pci/devices/0000:01:00.0", F_OK), -1);
	assert_int_equal(errno, EIO);
	fd = open("/sys/bus/pci/devices/0000:01:00.0/reset_method", O_WRONLY | O_CLOEXEC);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(mkdir("/run/vfioreset/x", 0755), -1);
	assert_int_equal(errno, EIO);
	/* A module is neither loaded into the host nor simulated. */
	assert_int_equal(syscall(SYS_delete_module, "vfr_no_such_module", O_NONBLOCK), -1);
	assert_int_equal(errno, EIO);
	/* Paths outside the allow-list are the host's, as always. */
	assert_int_equal(access("/proc/self/status", F_OK), 0);
	assert_true(g_file_get_contents(reset, &after, NULL, NULL));
	assert_string_equal(before, after);

	setenv("VFR_MOCK_ROOT", missing, 1);
	assert_int_equal(access("/sys", F_OK), -1);
	assert_int_equal(errno, EIO);
	setenv("VFR_MOCK_ROOT", t->root, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_creating, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_changing, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_temporary, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_cross, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_prefix_parent, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, tree_teardown),
	};

	snprintf(state, sizeof(state), "vfr-paths-test-%ld", (long)getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
