/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one opener: over a crafted tree, with openat2() and with the walk
 * that replaces it, nothing outside the tree, no link and nothing but the
 * kinds of file asked for is ever opened.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

#include "beneath.h"
#include "sysfs.h"

struct tree {
	char *dir;     /* holds root/ and outside/ */
	char *root;
	int fd;        /* root, O_PATH */
	bool walk;     /* openat2() disabled */
};

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void put(const struct tree *t, const char *rel, const char *text)
{
	g_autofree char *path = g_build_filename(t->dir, rel, NULL);
	g_autofree char *parent = g_path_get_dirname(path);

	assert_int_equal(g_mkdir_with_parents(parent, 0755), 0);
	assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void link_at(const struct tree *t, const char *rel, const char *target)
{
	g_autofree char *path = g_build_filename(t->dir, rel, NULL);
	g_autofree char *parent = g_path_get_dirname(path);

	assert_int_equal(g_mkdir_with_parents(parent, 0755), 0);
	assert_int_equal(symlink(target, path), 0);
}

/*
 * root/sys/devices/d0/{config,reset}, root/sys/bus/pci/drivers/e1000e/bind;
 * outside/secret; and the traps: links to outside/ at the last component
 * and in between, a FIFO named config, a socket, a directory named uevent.
 */
static struct tree *make_tree(bool walk)
{
	struct tree *t = g_new0(struct tree, 1);
	g_autofree char *fifo = NULL, *sock = NULL, *dir = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	t->dir = g_dir_make_tmp("vfr-beneath-XXXXXX", NULL);
	assert_non_null(t->dir);
	t->root = g_build_filename(t->dir, "root", NULL);
	t->walk = walk;
	put(t, "root/sys/devices/d0/config", "CONFIG");
	put(t, "root/sys/devices/d0/reset", "");
	put(t, "root/sys/bus/pci/drivers/e1000e/bind", "");
	put(t, "outside/secret", "SECRET");
	put(t, "outside/drv/bind", "");
	link_at(t, "root/sys/devices/d0/link-out", "../../../../outside/secret");
	link_at(t, "root/sys/devices/d0/link-in", "config");
	link_at(t, "root/sys/bus/pci/drivers/evil", "../../../../../outside/drv");
	link_at(t, "root/sys/devices/abs", "/etc");
	fifo = g_build_filename(t->root, "sys/devices/d0/fifo", NULL);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	sock = g_build_filename(t->root, "sys/devices/d0/sock", NULL);
	g_strlcpy(sa.sun_path, sock, sizeof(sa.sun_path));
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	dir = g_build_filename(t->root, "sys/devices/d0/uevent", NULL);
	assert_int_equal(g_mkdir_with_parents(dir, 0755), 0);
	t->fd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->fd >= 0);
	beneath_set_openat2_disabled(walk);
	return t;
}

static void free_tree(struct tree *t)
{
	beneath_set_openat2_disabled(false);
	close(t->fd);
	nftw(t->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	g_free(t->dir);
	g_free(t->root);
	g_free(t);
}

static int setup_openat2(void **state)
{
	*state = make_tree(false);
	return 0;
}

static int setup_walk(void **state)
{
	*state = make_tree(true);
	return 0;
}

static int teardown(void **state)
{
	free_tree(*state);
	return 0;
}

static void test_reads_inside(void **state)
{
	struct tree *t = *state;
	char buf[64];
	int fd;

	assert_int_equal(sysfs_read(t->fd, "sys/devices/d0/config", buf, sizeof(buf)), 6);
	assert_string_equal(buf, "CONFIG");
	/* "." components and doubled slashes are harmless. */
	assert_int_equal(sysfs_read(t->fd, "./sys//devices/./d0/config", buf, sizeof(buf)), 6);
	fd = beneath_open(t->fd, "sys/devices/d0", O_RDONLY, 0, BENEATH_DIR);
	assert_true(fd >= 0);
	assert_int_equal(sysfs_read(fd, "config", buf, sizeof(buf)), 6);
	close(fd);
	assert_int_equal(sysfs_write(t->fd, "sys/bus/pci/drivers/e1000e/bind", "0000:01:00.0"), 0);
}

static void test_never_climbs(void **state)
{
	struct tree *t = *state;
	char buf[64];

	assert_int_equal(sysfs_read(t->fd, "../outside/secret", buf, sizeof(buf)), -EXDEV);
	assert_int_equal(sysfs_read(t->fd, "sys/../../outside/secret", buf, sizeof(buf)), -EXDEV);
	assert_int_equal(sysfs_read(t->fd, "/etc/passwd", buf, sizeof(buf)), -EXDEV);
	/* Even where ".." would stay inside: the library never needs it. */
	assert_int_equal(sysfs_read(t->fd, "sys/devices/../devices/d0/config", buf, sizeof(buf)),
			 -EXDEV);
}

static void test_never_follows_links(void **state)
{
	struct tree *t = *state;
	char buf[64];
	int fd;

	/* At the last component, whether the link leads out or stays in. */
	assert_int_equal(sysfs_read(t->fd, "sys/devices/d0/link-out", buf, sizeof(buf)), -ELOOP);
	assert_int_equal(sysfs_read(t->fd, "sys/devices/d0/link-in", buf, sizeof(buf)), -ELOOP);
	/* In between: a symlinked driver directory does not take a store elsewhere. */
	assert_int_equal(sysfs_write(t->fd, "sys/bus/pci/drivers/evil/bind", "0000:01:00.0"),
			 -ELOOP);
	assert_int_equal(sysfs_read(t->fd, "sys/devices/abs/passwd", buf, sizeof(buf)), -ELOOP);
	fd = beneath_open(t->fd, "sys/bus/pci/drivers/evil", O_PATH | O_DIRECTORY, 0, BENEATH_DIR);
	assert_int_equal(fd, -ELOOP);
	assert_int_equal(sysfs_exists(t->fd, "sys/bus/pci/drivers/evil/bind"), -ELOOP);
	{
		g_autofree char *out = g_build_filename(t->dir, "outside/drv/bind", NULL);
		g_autofree char *text = NULL;

		assert_true(g_file_get_contents(out, &text, NULL, NULL));
		assert_string_equal(text, "");
	}
	/* The link itself is still readable as text. */
	assert_true(sysfs_readlink(t->fd, "sys/devices/d0/link-in", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "config");
	/* ... but not through a link on the way. */
	assert_int_equal(sysfs_readlink(t->fd, "sys/devices/abs/x", buf, sizeof(buf)), -ELOOP);
}

static void test_only_files_and_directories(void **state)
{
	struct tree *t = *state;
	char buf[64];

	/* A FIFO named like an attribute: refused at once, not waited on. */
	assert_int_equal(sysfs_read(t->fd, "sys/devices/d0/fifo", buf, sizeof(buf)), -EMEDIUMTYPE);
	assert_int_equal(sysfs_write(t->fd, "sys/devices/d0/fifo", "1"), -EMEDIUMTYPE);
	assert_int_equal(sysfs_read(t->fd, "sys/devices/d0/sock", buf, sizeof(buf)), -EMEDIUMTYPE);
	assert_int_equal(sysfs_read(t->fd, "sys/devices/d0/uevent", buf, sizeof(buf)), -EMEDIUMTYPE);
	/* A file is not a directory. */
	assert_int_equal(beneath_open(t->fd, "sys/devices/d0/config", O_RDONLY, 0, BENEATH_DIR),
			 -ENOTDIR);
}

/*
 * Told that the tree cannot open device nodes (BENEATH_NODEV), the opener
 * opens directly and checks after: the same answers, nothing waited on.
 */
static void test_nodev_same_rules(void **state)
{
	struct tree *t = *state;
	const unsigned int reg = BENEATH_REG | BENEATH_NODEV;
	char buf[64];
	int fd;

	assert_int_equal(sysfs_read_on(t->fd, "sys/devices/d0/config", buf, sizeof(buf), true), 6);
	assert_int_equal(beneath_open(t->fd, "sys/devices/d0/fifo", O_RDONLY, 0, reg), -EMEDIUMTYPE);
	assert_int_equal(beneath_open(t->fd, "sys/devices/d0/sock", O_RDONLY, 0, reg), -EMEDIUMTYPE);
	assert_int_equal(beneath_open(t->fd, "sys/devices/d0/uevent", O_RDONLY, 0, reg),
			 -EMEDIUMTYPE);
	assert_int_equal(beneath_open(t->fd, "sys/devices/d0/link-out", O_RDONLY, 0, reg), -ELOOP);
	assert_int_equal(beneath_open(t->fd, "sys/bus/pci/drivers/evil/bind", O_WRONLY, 0, reg),
			 -ELOOP);
	assert_int_equal(beneath_open(t->fd, "../outside/secret", O_RDONLY, 0, reg), -EXDEV);
	fd = beneath_open(t->fd, "sys/bus/pci/drivers/e1000e/bind", O_WRONLY, 0, reg);
	assert_true(fd >= 0);
	close(fd);
}

/* A device node (root only: mknod) is opened only where one is asked for. */
static void test_device_node(void **state)
{
	struct tree *t = *state;
	g_autofree char *node = g_build_filename(t->root, "sys/devices/d0/null", NULL);
	char buf[64];
	int fd;

	if (geteuid() != 0) {
		skip();
		return;
	}
	assert_int_equal(mknod(node, S_IFCHR | 0600, makedev(1, 3)), 0);
	assert_int_equal(sysfs_read(t->fd, "sys/devices/d0/null", buf, sizeof(buf)), -EMEDIUMTYPE);
	fd = beneath_open(t->fd, "sys/devices/d0/null", O_RDWR, 0, BENEATH_CHR);
	assert_true(fd >= 0);
	close(fd);
}

static void test_create(void **state)
{
	struct tree *t = *state;
	struct stat st;
	int fd;

	fd = beneath_open(t->fd, "sys/devices/d0/new", O_RDWR | O_CREAT | O_EXCL, 0600,
			  BENEATH_REG);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	close(fd);
	/* Creating through a link, or where a FIFO waits, never happens. */
	assert_int_equal(beneath_open(t->fd, "sys/devices/d0/link-out", O_RDWR | O_CREAT, 0600,
				      BENEATH_REG), -ELOOP);
	assert_int_equal(beneath_open(t->fd, "sys/devices/d0/fifo", O_RDWR | O_CREAT, 0600,
				      BENEATH_REG), -EMEDIUMTYPE);
	assert_int_equal(beneath_open(t->fd, "sys/bus/pci/drivers/evil/new", O_RDWR | O_CREAT,
				      0600, BENEATH_REG), -ELOOP);
}

/* A trusted absolute path: only its last component is checked. */
static void test_absolute_trusted(void **state)
{
	struct tree *t = *state;
	g_autofree char *good = g_build_filename(t->root, "sys/devices/d0/config", NULL);
	g_autofree char *bad = g_build_filename(t->root, "sys/devices/d0/link-out", NULL);
	g_autofree char *fifo = g_build_filename(t->root, "sys/devices/d0/fifo", NULL);
	int fd;

	fd = beneath_open(AT_FDCWD, good, O_RDONLY, 0, BENEATH_REG);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(beneath_open(AT_FDCWD, bad, O_RDONLY, 0, BENEATH_REG), -ELOOP);
	assert_int_equal(beneath_open(AT_FDCWD, fifo, O_RDONLY, 0, BENEATH_REG), -EMEDIUMTYPE);
}

/* The kinds a listing of root/sys/devices/d0 gives for @names. */
static void list_d0(const struct tree *t, int *ret_dirfd, const char *const *names, size_t n,
		    unsigned char *kinds)
{
	int r = sysfs_open_dir_listable(t->fd, "sys/devices/d0", ret_dirfd);

	assert_int_equal(r, 0);
	assert_true(sysfs_list_kinds(*ret_dirfd, false, false, names, n, kinds) > 0);
}

/*
 * An entry opened by what the listing of its directory said: a listed
 * link, FIFO, socket or directory is refused without an open, a name that
 * is not one component is refused, and a regular file opens.
 */
static void test_listed_entries(void **state)
{
	static const char *const names[] = { "config", "link-in", "fifo", "sock", "uevent",
					     "absent" };
	struct tree *t = *state;
	unsigned char kinds[G_N_ELEMENTS(names)];
	struct stat st;
	char buf[64];
	int dfd, fd;

	list_d0(t, &dfd, names, G_N_ELEMENTS(names), kinds);
	assert_int_equal(kinds[0], DT_REG);
	assert_int_equal(kinds[1], DT_LNK);
	assert_int_equal(kinds[2], DT_FIFO);
	assert_int_equal(kinds[3], DT_SOCK);
	assert_int_equal(kinds[4], DT_DIR);
	assert_int_equal(kinds[5], SYSFS_ABSENT);
	assert_int_equal(fstat(dfd, &st), 0);
	assert_true(beneath_dir_trusted(&st));
	fd = beneath_open_entry(dfd, "config", kinds[0], true, O_RDONLY, BENEATH_REG);
	assert_true(fd >= 0);
	assert_int_equal(sysfs_read_fd(fd, buf, sizeof(buf)), 6);
	close(fd);
	assert_int_equal(beneath_open_entry(dfd, "link-in", kinds[1], true, O_RDONLY, BENEATH_REG),
			 -ELOOP);
	for (size_t i = 2; i <= 4; i++)
		assert_int_equal(beneath_open_entry(dfd, names[i], kinds[i], true, O_RDONLY,
						    BENEATH_REG), -EMEDIUMTYPE);
	assert_int_equal(beneath_open_entry(dfd, "../d0/config", DT_REG, true, O_RDONLY,
					    BENEATH_REG), -EINVAL);
	assert_int_equal(beneath_open_entry(dfd, "..", DT_REG, true, O_RDONLY, BENEATH_REG),
			 -EINVAL);
	assert_int_equal(beneath_open_entry(dfd, "config", DT_REG, true, O_RDWR, BENEATH_REG),
			 -EINVAL);
	/* A link listed as a file (changed since) still is not followed. */
	assert_int_equal(beneath_open_entry(dfd, "link-out", DT_REG, true, O_RDONLY, BENEATH_REG),
			 -ELOOP);
	close(dfd);
}

/*
 * A directory others may write to can change between its listing and an
 * open: a FIFO (or a device node) put where a file was listed is still
 * refused before it is opened, and nothing waits.
 */
static void test_listing_of_untrusted_directory(void **state)
{
	static const char *const names[] = { "config" };
	struct tree *t = *state;
	g_autofree char *d0 = g_build_filename(t->root, "sys/devices/d0", NULL);
	g_autofree char *config = g_build_filename(d0, "config", NULL);
	unsigned char kinds[1];
	struct stat st;
	int dfd;

	assert_int_equal(chmod(d0, 01777), 0);
	list_d0(t, &dfd, names, 1, kinds);
	assert_int_equal(kinds[0], DT_REG);
	assert_int_equal(fstat(dfd, &st), 0);
	assert_false(beneath_dir_trusted(&st));
	/* Another user swaps it. */
	assert_int_equal(unlink(config), 0);
	assert_int_equal(mkfifo(config, 0666), 0);
	assert_int_equal(beneath_open_entry(dfd, "config", kinds[0], beneath_dir_trusted(&st),
					    O_RDONLY, BENEATH_REG), -EMEDIUMTYPE);
	close(dfd);
	assert_int_equal(chmod(d0, 0755), 0);
}

static void test_trusted_directories(void **state)
{
	struct stat st = { .st_mode = S_IFDIR | 0755, .st_uid = geteuid() };

	(void)state;
	assert_true(beneath_dir_trusted(&st));
	st.st_uid = 0;
	assert_true(beneath_dir_trusted(&st));
	st.st_mode = S_IFDIR | 0775; /* a group, or an ACL entry, may write */
	assert_false(beneath_dir_trusted(&st));
	st.st_mode = S_IFDIR | 01777;
	assert_false(beneath_dir_trusted(&st));
	st.st_mode = S_IFDIR | 0755;
	st.st_uid = geteuid() == 12345 ? 12346 : 12345; /* another user's */
	assert_false(beneath_dir_trusted(&st));
	st.st_uid = geteuid();
	st.st_mode = S_IFREG | 0644;
	assert_false(beneath_dir_trusted(&st));
}

static void test_names(void **state)
{
	(void)state;
	assert_true(beneath_name_valid("vfio-pci"));
	assert_true(beneath_name_valid("0000:01:00.0.state"));
	assert_false(beneath_name_valid(""));
	assert_false(beneath_name_valid(NULL));
	assert_false(beneath_name_valid("."));
	assert_false(beneath_name_valid(".."));
	assert_false(beneath_name_valid("../x"));
	assert_false(beneath_name_valid("a/b"));
	assert_false(beneath_name_valid("a\nb"));
	{
		char longname[300];

		memset(longname, 'a', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		assert_false(beneath_name_valid(longname));
	}
}

/*
 * A listing that takes one reply where the file system fills replies
 * (tmpfs, as /dev/shm is) still sees every entry of a directory too large
 * for one reply: only a reply with room left ends it.
 */
static void test_listing_in_one_reply(void **state)
{
	static const char *const names[] = { "first-of-many", "last-of-many", "absent" };
	g_autofree char *dir = g_strdup("/dev/shm/vfr-test-listing-XXXXXX");
	unsigned char kinds[G_N_ELEMENTS(names)];
	int dfd, n;

	(void)state;
	if (!g_mkdtemp(dir))
		skip();
	/* 600 entries of 60 characters: some 50 KiB of replies, not 8. */
	for (int i = 0; i < 600; i++) {
		g_autofree char *name = i == 0	 ? g_strdup("first-of-many")
				       : i == 599 ? g_strdup("last-of-many")
						  : g_strdup_printf("%060d", i);
		g_autofree char *path = g_build_filename(dir, name, NULL);

		assert_true(g_file_set_contents(path, "", 0, NULL));
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	for (int fills = 0; fills <= 1; fills++) {
		n = sysfs_list_kinds(dfd, fills, fills, names, G_N_ELEMENTS(names), kinds);
		assert_int_equal(n, 600);
		assert_int_equal(kinds[0], DT_REG);
		assert_int_equal(kinds[1], DT_REG);
		assert_int_equal(kinds[2], SYSFS_ABSENT);
	}
	close(dfd);
	for (int i = 0; i < 600; i++) {
		g_autofree char *name = i == 0	 ? g_strdup("first-of-many")
				       : i == 599 ? g_strdup("last-of-many")
						  : g_strdup_printf("%060d", i);
		g_autofree char *path = g_build_filename(dir, name, NULL);

		unlink(path);
	}
	rmdir(dir);
}

#define BOTH(fn)                                                                          \
	cmocka_unit_test_setup_teardown(fn, setup_openat2, teardown),                      \
	cmocka_unit_test_setup_teardown(fn, setup_walk, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_reads_inside),
		BOTH(test_never_climbs),
		BOTH(test_never_follows_links),
		BOTH(test_only_files_and_directories),
		BOTH(test_nodev_same_rules),
		BOTH(test_device_node),
		BOTH(test_create),
		BOTH(test_absolute_trusted),
		BOTH(test_listed_entries),
		BOTH(test_listing_of_untrusted_directory),
		cmocka_unit_test(test_trusted_directories),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_listing_in_one_reply),
	};

	return cmocka_run_group_tests_name("beneath", tests, NULL, NULL);
}
