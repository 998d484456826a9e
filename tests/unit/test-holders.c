/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The holders scan over a /proc made here: every kind of holder the kernel
 * can have (group and cdev descriptors, device files named in fdinfo or
 * not, mappings of a node, of a resource file, of an unnamed device
 * file), the caller itself, and the pure parsers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <glib.h>

#include <vfioreset/vfioreset.h>

#include "holders.h"

/* 01:00.0 on vfio-pci (group 5), 02:00.0 on e1000e; 01:00.0 has a resource0. */
static const char host[] =
	"[driver vfio-pci]\n"
	"[device 0000:00:1c.0]\nkind=root-port\nvendor=1b36\ndevice=000c\ndriver=pcieport\n"
	"iommu_group=1\n"
	"[device 0000:01:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.0\n"
	"driver=vfio-pci\niommu_group=5\n"
	"[device 0000:00:1d.0]\nkind=root-port\nvendor=1b36\ndevice=000c\ndriver=pcieport\n"
	"iommu_group=2\n"
	"[device 0000:02:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1d.0\n"
	"driver=e1000e\niommu_group=6\n";

struct fixture {
	char *dir, *root, *proc;
	struct vfr_ctx *ctx;
	struct vfr_host *host;
	struct vfr_device *devs[2]; /* 01:00.0, 02:00.0 */
};

static void rm_rf(const char *path)
{
	const char *argv[] = { "rm", "-rf", path, NULL };

	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
		     NULL);
}

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	g_autofree char *ini = NULL, *err_out = NULL, *res = NULL;
	const char *mk = getenv("VFR_MKFIXTURE");
	int status = -1;

	assert_non_null(mk);
	f->dir = g_dir_make_tmp("vfr-holders-XXXXXX", NULL);
	f->root = g_build_filename(f->dir, "root", NULL);
	f->proc = g_build_filename(f->dir, "proc", NULL);
	ini = g_build_filename(f->dir, "host.ini", NULL);
	assert_true(g_file_set_contents(ini, host, -1, NULL));
	{
		const char *argv[] = { mk, ini, f->root, NULL };

		assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
					 NULL, &err_out, &status, NULL));
	}
	if (status != 0)
		fail_msg("vfr-mkfixture failed: %s", err_out);
	res = g_build_filename(f->root, "sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0/resource0",
			       NULL);
	assert_true(g_file_set_contents(res, "", 0, NULL));
	assert_int_equal(g_mkdir_with_parents(f->proc, 0755), 0);
	assert_int_equal(vfr_ctx_new(f->root, &f->ctx, NULL), 0);
	assert_int_equal(vfr_host_scan(f->ctx, &f->host, NULL), 0);
	assert_int_equal(vfr_host_lookup(f->host, "0000:01:00.0", &f->devs[0], NULL), 0);
	assert_int_equal(vfr_host_lookup(f->host, "0000:02:00.0", &f->devs[1], NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vfr_host_unref(f->host);
	vfr_ctx_unref(f->ctx);
	rm_rf(f->dir);
	g_free(f->dir);
	g_free(f->root);
	g_free(f->proc);
	g_free(f);
	return 0;
}

/* proc/@pid/fd/@fd -> @target (a path, or a kernel's link text). */
static void fd_link(struct fixture *f, long pid, int fd, const char *target)
{
	g_autofree char *dir = g_strdup_printf("%s/%ld/fd", f->proc, pid);
	g_autofree char *link = g_strdup_printf("%s/%d", dir, fd);

	assert_int_equal(g_mkdir_with_parents(dir, 0755), 0);
	assert_int_equal(symlink(target, link), 0);
}

static void proc_file(struct fixture *f, long pid, const char *name, const char *text)
{
	g_autofree char *path = g_strdup_printf("%s/%ld/%s", f->proc, pid, name);
	g_autofree char *dir = g_path_get_dirname(path);

	assert_int_equal(g_mkdir_with_parents(dir, 0755), 0);
	assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* A /proc/PID/maps line mapping the fixture's file @rel. */
static char *maps_line(struct fixture *f, const char *rel)
{
	g_autofree char *path = g_build_filename(f->root, rel, NULL);
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return g_strdup_printf("7f0000000000-7f0000001000 rw-s 00000000 %02x:%02x %lu    %s\n",
			       major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino, path);
}

static void scan(struct fixture *f, struct holders *h)
{
	assert_int_equal(holders_find_many_at(f->proc, f->devs, 2, h, NULL, NULL), 0);
}

static pid_t pid_at(const GArray *list, guint i)
{
	return g_array_index(list, struct holder, i).pid;
}

static unsigned int how_at(const GArray *list, guint i)
{
	return g_array_index(list, struct holder, i).how;
}

static void test_every_kind(void **state)
{
	struct fixture *f = *state;
	g_autofree char *group = g_build_filename(f->root, "dev/vfio/5", NULL);
	g_autofree char *other_map = maps_line(f, "sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0/config");
	g_autofree char *res_map = maps_line(f, "sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0/resource0");
	struct holders h[2] = { { 0 } };

	/* 100: the group open. 101: a device file fdinfo names. 102: a resource0 mapping. */
	fd_link(f, 100, 7, group);
	fd_link(f, 101, 3, "anon_inode:[vfio-device]");
	proc_file(f, 101, "fdinfo/3", "pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1057\n"
		  "vfio-device-syspath: /sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0\n");
	proc_file(f, 102, "maps", res_map);
	/* 103: a device file no kernel before 6.18 names. 104: only a mapping of one. */
	fd_link(f, 103, 4, "anon_inode:[vfio-device]");
	proc_file(f, 103, "fdinfo/4", "pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1057\n");
	proc_file(f, 104, "maps", "7f0000000000-7f0000001000 rw-s 00000000 00:0e 1057    "
				  "anon_inode:[vfio-device]\n");
	/* 105: nothing of ours: another file open, another file mapped. */
	fd_link(f, 105, 0, "/dev/null");
	proc_file(f, 105, "maps", other_map);

	scan(f, h);
	assert_int_equal(h[0].certain->len, 3);
	assert_int_equal(pid_at(h[0].certain, 0), 100);
	assert_int_equal(how_at(h[0].certain, 0), HOLDER_GROUP);
	assert_int_equal(pid_at(h[0].certain, 1), 101);
	assert_int_equal(how_at(h[0].certain, 1), HOLDER_DEVICE);
	assert_int_equal(pid_at(h[0].certain, 2), 102);
	assert_int_equal(how_at(h[0].certain, 2), HOLDER_MMAP);
	assert_int_equal(h[0].uncertain->len, 2);
	assert_int_equal(pid_at(h[0].uncertain, 0), 103);
	assert_int_equal(pid_at(h[0].uncertain, 1), 104);
	assert_int_equal(how_at(h[0].uncertain, 0), HOLDER_UNNAMED);
	/* 02:00.0 is on a host driver: no device file can be its. */
	assert_int_equal(h[1].certain->len, 0);
	assert_int_equal(h[1].uncertain->len, 0);
	assert_int_equal(h[0].self, 0);
	holders_clear(&h[0]);
	holders_clear(&h[1]);
}

/*
 * Another program's reset that never returned: its process sleeps in the
 * kernel (state D) with the function's reset file open. A reader of config
 * that is merely running, or sleeping where a signal wakes it, is no such
 * call, however its command name is spelled.
 */
static void test_stuck(void **state)
{
	struct fixture *f = *state;
	const char *dir = "sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0";
	g_autofree char *reset = g_build_filename(f->root, dir, "reset", NULL);
	g_autofree char *config = g_build_filename(f->root, dir, "config", NULL);
	g_autofree char *other = g_build_filename(f->root, "sys/devices/pci0000:00/0000:00:1c.0/config",
						  NULL);
	struct holders h[2] = { { 0 } };

	assert_true(g_file_set_contents(reset, "", 0, NULL));
	fd_link(f, 110, 1, reset);
	proc_file(f, 110, "stat", "110 (sh) D 1 110 110 0 -1 4194560 100 0 0 0\n");
	fd_link(f, 111, 3, config);
	proc_file(f, 111, "stat", "111 (lspci) R 1 111 111 0 -1 4194560 100 0 0 0\n");
	fd_link(f, 112, 3, config);
	proc_file(f, 112, "stat", "112 (a) D b) S 1 112 112 0 -1 4194560 100 0 0 0\n");
	/* Asleep in the kernel, but on something that is not the function's. */
	fd_link(f, 113, 3, other);
	proc_file(f, 113, "stat", "113 (cat) D 1 113 113 0 -1 4194560 100 0 0 0\n");
	fd_link(f, 114, 3, config);
	proc_file(f, 114, "stat", "114 (lspci) D 1 114 114 0 -1 4194560 100 0 0 0\n");

	scan(f, h);
	assert_int_equal(h[0].stuck->len, 2);
	assert_int_equal(pid_at(h[0].stuck, 0), 110);
	assert_int_equal(pid_at(h[0].stuck, 1), 114);
	assert_int_equal(how_at(h[0].stuck, 0), HOLDER_STUCK);
	/* Opening reset or config holds nothing of VFIO. */
	assert_int_equal(h[0].certain->len, 0);
	assert_int_equal(h[0].uncertain->len, 0);
	assert_int_equal(h[1].stuck->len, 0);
	holders_clear(&h[0]);
	holders_clear(&h[1]);
}

/* The caller is found like anyone, and reported apart. */
static void test_self(void **state)
{
	struct fixture *f = *state;
	g_autofree char *group = g_build_filename(f->root, "dev/vfio/5", NULL);
	struct holders h[2] = { { 0 } };
	long self = (long)getpid();

	fd_link(f, self, 9, group);
	fd_link(f, self, 10, "anon_inode:[vfio-device]");
	scan(f, h);
	assert_int_equal(h[0].certain->len, 0);
	assert_int_equal(h[0].uncertain->len, 0);
	assert_int_equal(h[0].self, HOLDER_GROUP);
	assert_false(h[0].self_uncertain); /* it holds it for certain already */
	holders_clear(&h[0]);
	holders_clear(&h[1]);
}

static void test_describe(void **state)
{
	const struct holder list[] = {
		{ .pid = 12, .how = HOLDER_GROUP },
		{ .pid = 34, .how = HOLDER_DEVICE },
		{ .pid = 56, .how = HOLDER_UNNAMED },
	};
	g_autofree char *a = holders_describe(list, 3, 0);
	g_autofree char *b = holders_describe(list, 1, 2);

	(void)state;
	assert_string_equal(a, "12 (its group), 34 (a device file) and 56 (a VFIO device file the "
			       "kernel does not name)");
	assert_string_equal(b, "12 (its group) and 2 processes that could not be inspected");
}

static void test_parsers(void **state)
{
	struct vfr_address a;
	unsigned int maj = 0, min = 0;
	unsigned long ino = 0;
	const char *path = NULL;

	(void)state;
	assert_int_equal(holders_parse_fdinfo("pos:\t0\nvfio-device-syspath: "
					      "/sys/devices/pci0000:e0/0000:e0:01.1/0000:e8:00.0\n",
					      &a), 0);
	assert_int_equal(a.domain, 0);
	assert_int_equal(a.bus, 0xe8);
	assert_int_equal(holders_parse_fdinfo("pos:\t0\nflags:\t02\n", &a), -ENOENT);
	assert_int_equal(holders_parse_fdinfo("vfio-device-syspath: /sys/devices/x\n", &a), -EIO);
	assert_int_equal(holders_parse_fdinfo("", &a), -ENOENT);

	assert_int_equal(holders_parse_maps_line("7f12-7f13 r--s 00000000 00:1a 4242   /dev/vfio/devices/vfio0",
						 &maj, &min, &ino, &path), 0);
	assert_int_equal(maj, 0);
	assert_int_equal(min, 0x1a);
	assert_int_equal(ino, 4242);
	assert_string_equal(path, "/dev/vfio/devices/vfio0");
	assert_int_equal(holders_parse_maps_line("7f12-7f13 rw-p 00000000 00:00 0 ", &maj, &min,
						 &ino, &path), 0);
	assert_string_equal(path, "");
	assert_int_equal(holders_parse_maps_line("garbage", &maj, &min, &ino, &path), -EINVAL);
	assert_int_equal(holders_parse_maps_line("", &maj, &min, &ino, &path), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stuck, setup, teardown),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_parsers),
	};

	return cmocka_run_group_tests_name("holders", tests, NULL, NULL);
}
