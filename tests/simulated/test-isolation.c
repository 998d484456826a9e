/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The runner's promise (vfr-test.h): what one case leaves behind never
 * reaches the next. `leave_behind` leaves all it can: a thread hung in a
 * fault of its tree, a child holding a VFIO group, descriptors the preload
 * knows (a container, a group, an attribute), its working directory in the
 * fixture, a rule added at run time, a variable in its environment.
 * `finds_nothing_left`, on the same host, fails if any of it is still
 * there. meson runs the two in both orders; `in_process_leaks` runs them
 * again in one process, one after the other (VFR_TEST_IN_PROCESS=1, the way
 * cases ran before), where the second must not pass: its checks can fail.
 *
 * Written against the runner alone, without cmocka, as a consumer's suite
 * would use it.
 */
#include "vfr-test.h"

#include <dirent.h>
#include <pthread.h>
#include <sys/inotify.h>
#include <sys/prctl.h>

#define FN "0000:01:00.0"
#define VENDOR "/sys/bus/pci/devices/" FN "/vendor"
#define HANG_LINE "hang /sys/devices/pci0000:00/0000:00:1c.0/" FN "/vendor"

#define HOST                                                                               \
	"[driver vfio-pci]\n"                                                              \
	"[device 0000:00:1c.0]\nkind=root-port\nvendor=1b36\ndevice=000c\ndriver=pcieport\n"  \
	"iommu_group=1\n"                                                                  \
	"[device " FN "]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.0\n"                   \
	"driver=vfio-pci\niommu_group=2\nreset_method=flr\ncaps=pm,msix,flr\n"

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: %s: failed: %s (errno %s)\n", __FILE__,  \
				__LINE__, __func__, #cond, strerror(errno));               \
			return VFR_TEST_FAIL;                                              \
		}                                                                          \
	} while (0)

/* Whether ROOT/.vfr-mock/journal has the line @line. */
static bool journal_has(const char *line)
{
	char path[PATH_MAX], text[65536];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/.vfr-mock/journal", vfr_test_root());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
		if (strcmp(l, line) == 0)
			return true;
	return false;
}

/* Blocks until the journal has @line (inotify on the journal, no polling). */
static bool wait_journal(const char *line)
{
	char path[PATH_MAX], events[4096];
	int in = inotify_init1(IN_CLOEXEC), fd;

	snprintf(path, sizeof(path), "%s/.vfr-mock/journal", vfr_test_root());
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (in < 0 || fd < 0)
		return false;
	close(fd);
	if (inotify_add_watch(in, path, IN_MODIFY) < 0)
		return false;
	while (!journal_has(line))
		if (read(in, events, sizeof(events)) <= 0)
			return false;
	close(in);
	return true;
}

static void *read_vendor(void *arg)
{
	char buf[16];
	int fd = open(VENDOR, O_RDONLY | O_CLOEXEC);

	(void)arg;
	/* The case's rule: this read never returns. */
	if (fd >= 0 && read(fd, buf, sizeof(buf)) >= 0)
		fprintf(stderr, "the read of %s returned\n", VENDOR);
	return NULL;
}

static int leave_behind(const struct vfr_test *t)
{
	static pthread_t hung;
	char faults[PATH_MAX];
	int container, group, attr, wake[2];
	FILE *f;
	pid_t holder;

	(void)t;
	/* A thread stuck in the kernel, as a read of a dead device's attribute is. */
	CHECK(pthread_create(&hung, NULL, read_vendor, NULL) == 0);
	CHECK(wait_journal(HANG_LINE));

	/* A VMM's files: the container, a descriptor of an attribute. */
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	attr = open("/sys/bus/pci/devices/" FN "/reset_method", O_RDONLY | O_CLOEXEC);
	CHECK(container >= 0 && attr >= 0);

	/* A child holding the group, outliving this case unless it is ended. */
	CHECK(pipe2(wake, O_CLOEXEC) == 0);
	holder = fork();
	CHECK(holder >= 0);
	if (holder == 0) {
		/* Never outlives the runner, whichever way it runs the cases. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		group = open("/dev/vfio/2", O_RDWR | O_CLOEXEC);
		if (write(wake[1], group >= 0 ? "y" : "n", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	{
		char held;

		CHECK(read(wake[0], &held, 1) == 1 && held == 'y');
	}

	/* A rule added at run time, the working directory in the fixture, the environment. */
	snprintf(faults, sizeof(faults), "%s/.vfr-mock/faults", vfr_test_root());
	f = fopen(faults, "a");
	CHECK(f);
	fprintf(f, "open /dev/vfio/* errno=EBUSY\n");
	CHECK(fclose(f) == 0);
	CHECK(chdir("/sys/bus/pci/devices") == 0);
	CHECK(access(FN, F_OK) == 0);
	CHECK(setenv("VFR_LEFT_BEHIND", "1", 1) == 0);
	return VFR_TEST_OK;
}

/* Descriptors of this process that are files of a tree other than this case's. */
static int foreign_fds(void)
{
	const char *root = vfr_test_root();
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char link[64], target[PATH_MAX];
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name) >=
		    sizeof(link))
			continue;
		len = readlink(link, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		if (strstr(target, "/vfr-test-") && strncmp(target, root, strlen(root)) != 0) {
			fprintf(stderr, "descriptor %s: %s\n", de->d_name, target);
			n++;
		}
	}
	closedir(d);
	return n;
}

static int count_threads(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/task");
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int finds_nothing_left(const struct vfr_test *t)
{
	char cwd[PATH_MAX], faults[PATH_MAX], text[4096] = "", buf[16];
	int fd, group;
	ssize_t n;

	(void)t;
	CHECK(count_threads() == 1);
	CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
	CHECK(foreign_fds() == 0);
	CHECK(getcwd(cwd, sizeof(cwd)) && !strstr(cwd, "/vfr-test-"));
	CHECK(!getenv("VFR_LEFT_BEHIND"));

	/* Its own tree, as it declared it: no rule, no journal of a hang. */
	snprintf(faults, sizeof(faults), "%s/.vfr-mock/faults", vfr_test_root());
	fd = open(faults, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
		CHECK(n >= 0);
		text[n] = '\0';
	}
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
		CHECK(l[0] == '#');
	CHECK(!journal_has(HANG_LINE));

	/* And the host works: the attribute reads, the group is free. */
	fd = open(VENDOR, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHECK(n == 7 && strncmp(buf, "0x8086\n", 7) == 0);
	group = open("/dev/vfio/2", O_RDWR | O_CLOEXEC);
	CHECK(group >= 0);
	close(group);
	return VFR_TEST_OK;
}

/*
 * The two cases above in one process: the second is not reported passed.
 * Either it fails its checks, or the process ends first with 137: a thread
 * hung in a fault ends its process once its tree is gone (the preload's
 * guard against abandoned writers outliving a test), here while the runner
 * removes the first case's tree, so leaking into whatever runs next.
 */
static int in_process_leaks(const struct vfr_test *t)
{
	char dir[PATH_MAX], out[8192];
	const char *root = vfr_test_root();
	size_t len = 0;
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	(void)t;
	/* Trees the inner runner could not remove are removed with this case's. */
	snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(root, '/') - root), root);
	CHECK(pipe2(pipefd, O_CLOEXEC) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char *argv[] = { "test-mock-isolation", "leave_behind", "finds_nothing_left", NULL };

		dup2(pipefd[1], STDOUT_FILENO);
		setenv("VFR_TEST_IN_PROCESS", "1", 1);
		setenv("TMPDIR", dir, 1);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (len < sizeof(out) - 1 && (n = read(pipefd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(pipefd[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	fprintf(stderr, "in one process (status %d):\n%s", status, out);
	CHECK(strstr(out, "1..2\n"));
	CHECK(!strstr(out, "\nok 2 - finds_nothing_left"));
	CHECK(WIFEXITED(status) && (WEXITSTATUS(status) == 1 || WEXITSTATUS(status) == 137));
	return VFR_TEST_OK;
}

int main(int argc, char **argv)
{
	const struct vfr_test tests[] = {
		{ .name = "leave_behind",
		  .description = "leaves a hung thread, a holder, descriptors, a rule, cwd, env",
		  .host = HOST, .faults = "read /sys/devices/*/" FN "/vendor hang",
		  .run = leave_behind },
		{ .name = "finds_nothing_left",
		  .description = "fails if anything of another case is still there",
		  .host = HOST, .run = finds_nothing_left },
		{ .name = "in_process_leaks",
		  .description = "the two in one process: the second does not pass",
		  .host = HOST, .run = in_process_leaks },
	};

	return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
}
