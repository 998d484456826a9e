/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A deadline-bound reset from a process under a seccomp filter that allows
 * the system calls doc/deadline.md lists and little else: a VMM that
 * confines itself must be able to list exactly what the library needs.
 * The filter is raw BPF through prctl(); it is inherited by vfioreset-call,
 * so the list covers the program's start-up and its call too. It also
 * allows what the simulated kernel (the preload, in both processes) and
 * this test need, each in its own list. Then it shows it bites: fork() is
 * refused (clone without CLONE_VM), and so is a call on no list.
 *
 * The filtered part runs in a forked child that reports on a pipe and
 * leaves with _exit(), so the test runner (and a leak checker at exit)
 * stays unfiltered.
 */
#include "mock.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/vfio.h>
#include <sched.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "reset-exec.h"
#include "sysfs.h"

#define HOST                                                                               \
	"[driver vfio-pci]\n[driver e1000e]\n"                                             \
	"[device 0000:00:1c.0]\nkind=root-port\nvendor=8086\ndevice=a110\n"                  \
	"driver=pcieport\niommu_group=1\n"                                                 \
	"[device 0000:00:1c.1]\nkind=root-port\nvendor=8086\ndevice=a110\n"                  \
	"driver=pcieport\niommu_group=2\n"                                                 \
	"[device 0000:01:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.0\n"             \
	"driver=e1000e\niommu_group=10\ncaps=pm,msix,flr\nreset_method=flr\n"              \
	"[device 0000:02:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.1\n"             \
	"driver=vfio-pci\niommu_group=11\ncaps=pm,msix,flr\nreset_method=flr\n"

#if defined(__x86_64__)

/*
 * doc/deadline.md, in its order: the caller, the spawned child until its
 * exec, and vfioreset-call (the dynamic loader and libc's start-up, then
 * its one call). clone and clone3 are checked by the filter itself.
 */
static const int documented[] = {
	SYS_access, SYS_newfstatat, SYS_pipe2, SYS_openat, SYS_fcntl, SYS_prlimit64, SYS_mmap,
	SYS_munmap, SYS_rt_sigprocmask, SYS_poll, SYS_ppoll, SYS_read, SYS_wait4, SYS_close,
	SYS_futex, SYS_clock_gettime,
	SYS_rt_sigaction, SYS_dup2, SYS_close_range, SYS_execve, SYS_exit_group,
	SYS_brk, SYS_mprotect, SYS_pread64, SYS_arch_prctl, SYS_set_tid_address,
	SYS_set_robust_list, SYS_rseq, SYS_write, SYS_ioctl,
};

/*
 * The simulated kernel: the preload in the caller (its fault counts) and in
 * vfioreset-call (the store and the VFIO files: locks, its tree, the
 * journal, malloc's start-up).
 */
static const int harness[] = {
	SYS_memfd_create, SYS_ftruncate, SYS_flock, SYS_getdents64, SYS_readlink,
	SYS_readlinkat, SYS_mkdirat, SYS_clock_nanosleep, SYS_getrandom,
};

/*
 * This test: its report is a write(), its end _exit(); an ASan build's
 * runtime looks at its signal stack before a call that does not return.
 */
static const int test_own[] = { SYS_exit_group, SYS_sigaltstack };

static void emit(struct sock_filter *prog, size_t *n, struct sock_filter insn)
{
	prog[(*n)++] = insn;
}

#define ALLOW SECCOMP_RET_ALLOW
#define REFUSE (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))

static void allow_list(struct sock_filter *prog, size_t *n, const int *nrs, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		emit(prog, n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)nrs[i], 0, 1));
		emit(prog, n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ALLOW));
	}
}

static int install_filter(void)
{
	struct sock_filter prog[512];
	struct sock_fprog fprog;
	size_t n = 0;

	/* x86_64 only; a 32-bit or x32 call is refused. */
	emit(prog, &n, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						    offsetof(struct seccomp_data, arch)));
	emit(prog, &n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	emit(prog, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	emit(prog, &n, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						    offsetof(struct seccomp_data, nr)));
	emit(prog, &n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1));
	emit(prog, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, REFUSE));
	/* clone3's flags are in memory a filter cannot read: ENOSYS makes glibc use clone. */
	emit(prog, &n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1));
	emit(prog, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						    SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)));
	/* clone: posix_spawn()'s (CLONE_VM|CLONE_VFORK), not fork()'s. */
	emit(prog, &n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4));
	emit(prog, &n, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						    offsetof(struct seccomp_data, args[0])));
	emit(prog, &n, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, CLONE_VM | CLONE_VFORK));
	emit(prog, &n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CLONE_VM | CLONE_VFORK, 0, 1));
	emit(prog, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ALLOW));
	emit(prog, &n, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						    offsetof(struct seccomp_data, nr)));
	allow_list(prog, &n, documented, G_N_ELEMENTS(documented));
	allow_list(prog, &n, harness, G_N_ELEMENTS(harness));
	allow_list(prog, &n, test_own, G_N_ELEMENTS(test_own));
	emit(prog, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, REFUSE));
	assert_true(n <= G_N_ELEMENTS(prog));

	fprog.len = (unsigned short)n;
	fprog.filter = prog;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) < 0 ? -errno : 0;
}

/* What the filtered child found, in order. */
struct report {
	int filter;
	int store;
	int vfio_reset;
	int hot_reset;
	int fork_errno;
	int socket_errno;
};

static void filtered_child(int out, int dirfd, int device, int group)
{
	struct report rep = { 0 };
	pid_t pid;
	int s;

	rep.filter = install_filter();
	if (rep.filter == 0) {
		rep.store = sysfs_write_deadline(dirfd, "reset", "1", 10000, NULL);
		rep.vfio_reset = reset_vfio_device(device, 10000, NULL);
		rep.hot_reset = reset_vfio_hot(device, &group, 1, 10000, NULL);
		pid = fork();
		if (pid == 0)
			_exit(0);
		rep.fork_errno = pid < 0 ? errno : 0;
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		rep.socket_errno = s < 0 ? errno : 0;
	}
	if (write(out, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		_exit(1);
	_exit(0);
}

static void test_reset_under_seccomp(void **state)
{
	struct mock *m = *state;
	struct report rep = { .filter = 1 };
	int report[2], dirfd, group, container, device, status;
	pid_t child;

	/* Everything but the calls themselves is ready before the filter. */
	dirfd = open("/sys/bus/pci/devices/0000:01:00.0", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	group = open("/dev/vfio/11", O_RDWR | O_CLOEXEC);
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	assert_true(group >= 0 && container >= 0);
	assert_int_equal(ioctl(group, VFIO_GROUP_SET_CONTAINER, &container), 0);
	assert_int_equal(ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, "0000:02:00.0");
	assert_true(device >= 0);
	assert_int_equal(pipe2(report, O_CLOEXEC), 0);

	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		filtered_child(report[1], dirfd, device, group);
	close(report[1]);
	assert_int_equal(read(report[0], &rep, sizeof(rep)), (ssize_t)sizeof(rep));
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	assert_int_equal(rep.filter, 0);
	assert_int_equal(rep.store, 0);
	assert_true(journal_has(m, "reset 0000:01:00.0 flr ok"));
	assert_int_equal(rep.vfio_reset, 0);
	assert_true(journal_has(m, "device_reset 0000:02:00.0"));
	assert_int_equal(rep.hot_reset, 0);
	assert_true(journal_has(m, "hot_reset 0000:02:00.0 0000:02:00.0 ok"));
	/* The filter bites. */
	assert_int_equal(rep.fork_errno, EPERM);
	assert_int_equal(rep.socket_errno, EPERM);

	close(report[0]);
	close(device);
	close(group);
	close(container);
	close(dirfd);
}

static int setup(void **state)
{
	*state = mock_current();
	return 0;
}

static int teardown(void **state)
{
	mock_free(*state);
	return 0;
}

int main(int argc, char **argv)
{
	const struct vfr_test tests[] = {
		MOCK_CASE(test_reset_under_seccomp, setup, teardown, .host = HOST),
	};

	return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
}

#else

int main(int argc, char **argv)
{
	printf("1..0 # SKIP the filter is written for x86_64\n");
	return 77;
}

#endif
