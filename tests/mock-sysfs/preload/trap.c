/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The root, the allow-list and path redirection. Unlike kmod's path.c the
 * root is read from the environment on every call, so one process can switch
 * fixtures (a test's setup does); its canonical form is cached by value.
 */
#include "preload.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__thread int vfr_busy;
int vfr_removals;

/* Exact prefixes, component-wise: /sys/x is in, /system is not. */
static const char *const allowed[] = {
	"/sys", "/dev/vfio", "/dev/iommu", "/lib/modules", "/proc/modules",
	"/run/vfioreset",
};

static struct {
	pthread_mutex_t lock;
	char env[PATH_MAX];
	struct vfr_root root;
	bool valid;
	char warned[PATH_MAX]; /* the last refused root this process was told about */
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void atfork_child(void)
{
	pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;

	/* A lock another thread held at fork() would never be released in the child. */
	cache.lock = init;
	fdt_atfork_child();
	faults_atfork_child();
}

__attribute__((constructor)) static void init(void)
{
	pthread_atfork(NULL, NULL, atfork_child);
}

void *real_sym(void **slot, const char *name)
{
	void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (!fn) {
		fn = dlsym(RTLD_NEXT, name);
		if (!fn) {
			fprintf(stderr, "vfr-preload: no next definition of %s\n", name);
			abort();
		}
		__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	}
	return fn;
}

void vfr_warn(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write: lines of concurrent processes stay whole. */
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

bool root_get(struct vfr_root *r)
{
	const char *env = getenv("VFR_MOCK_ROOT");
	char canon[PATH_MAX], marker[PATH_MAX + 32];
	struct stat st, mst;
	size_t len;

	if (!env || !*env || strlen(env) >= PATH_MAX)
		return false;
	pthread_mutex_lock(&cache.lock);
	/* A refused root is looked at again on every call: it may become a tree. */
	if (cache.valid && strcmp(cache.env, env) == 0 && !cache.root.refused) {
		*r = cache.root;
		pthread_mutex_unlock(&cache.lock);
		return r->len > 0;
	}
	pthread_mutex_unlock(&cache.lock);

	vfr_busy++;
	/* A root that does not exist still traps: nothing may leak to the host's /sys. */
	if (!realpath(env, canon))
		snprintf(canon, sizeof(canon), "%s", env);
	if (stat(canon, &st) < 0)
		st.st_dev = 0;
	/*
	 * Only a tree vfr-mkfixture made says how its kernel behaves (reset
	 * methods that went stale, id tables, SR-IOV templates). Anything else
	 * - a copy of a host's /sys, a directory that does not exist - is
	 * refused rather than left to look like a host that never reacts.
	 */
	if (snprintf(marker, sizeof(marker), "%s/.vfr-mock/host", canon) >= (int)sizeof(marker) ||
	    lstat(marker, &mst) < 0)
		r->refused = true;
	else
		r->refused = false;
	vfr_busy--;
	len = strlen(canon);
	while (len > 0 && canon[len - 1] == '/')
		canon[--len] = '\0';
	/* Root "/" would turn the simulated kernel loose on the real /sys. */
	memcpy(r->path, canon, len + 1);
	r->len = len;
	r->dev = st.st_dev;

	pthread_mutex_lock(&cache.lock);
	snprintf(cache.env, sizeof(cache.env), "%s", env);
	cache.root = *r;
	cache.valid = true;
	pthread_mutex_unlock(&cache.lock);
	return len > 0;
}

bool root_refuse(const struct vfr_root *r)
{
	bool tell;

	if (!r->refused)
		return false;
	pthread_mutex_lock(&cache.lock);
	tell = strcmp(cache.warned, r->path) != 0;
	if (tell)
		snprintf(cache.warned, sizeof(cache.warned), "%s", r->path);
	pthread_mutex_unlock(&cache.lock);
	vfr_busy++;
	if (tell)
		vfr_warn("vfr-preload: %s is not a vfr-mkfixture tree (no .vfr-mock/host): "
			 "no kernel there would react to anything, so /sys, /dev/vfio, "
			 "/dev/iommu, /lib/modules, /proc/modules and /run/vfioreset fail "
			 "with EIO. Capture it first: vfr-mkfixture --capture %s > host.ini, "
			 "then vfioreset-mock host.ini -- CMD",
			 r->path, r->path);
	vfr_busy--;
	errno = EIO;
	return true;
}

bool path_normalize(const char *path, char *out)
{
	size_t n = 0;
	const char *p = path;

	if (*p != '/')
		return false;
	while (*p) {
		const char *start, *end;
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != '/')
			p++;
		end = p;
		len = (size_t)(end - start);
		if (len == 1 && start[0] == '.')
			continue;
		if (len == 2 && start[0] == '.' && start[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			continue;
		}
		if (n + 1 + len >= PATH_MAX)
			return false;
		out[n++] = '/';
		memcpy(out + n, start, len);
		n += len;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return true;
}

bool has_prefix(const char *path, const char *prefix)
{
	size_t len = strlen(prefix);

	return strncmp(path, prefix, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

bool path_allowed(const char *norm)
{
	return path_prefix(norm) != NULL;
}

const char *path_prefix(const char *norm)
{
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (has_prefix(norm, allowed[i]))
			return allowed[i];
	return NULL;
}

/* The first components of @path, with "//" and "/./" skipped, name an allowed prefix. */
static bool path_allowed_as_written(const char *path)
{
	char head[64];
	size_t n = 0;

	for (const char *p = path; *p && n < sizeof(head) - 1; p++) {
		if (*p == '/' && (p[1] == '/' || (p[1] == '.' && (p[2] == '/' || !p[2]))))
			continue;
		if (*p == '.' && p[-1] == '/' && (p[1] == '/' || !p[1]))
			continue;
		head[n++] = *p;
	}
	head[n] = '\0';
	/* "/sys" followed by more than the head holds still starts with "/sys/". */
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		size_t len = strlen(allowed[i]);

		if (strncmp(head, allowed[i], len) == 0 &&
		    (head[len] == '\0' || head[len] == '/'))
			return true;
	}
	return false;
}

int trap_path(const struct vfr_root *r, const char *path, char *out, char *norm)
{
	char tmp[PATH_MAX];
	char *nbuf = norm ? norm : tmp;
	size_t len;

	if (!path || path[0] != '/')
		return 0;
	/*
	 * The decision is made on the path as written with "//" and "." folded
	 * but ".." kept: the kernel resolves ".." after following a symlink, so
	 * /sys/bus/pci/devices/X/../../../../bus/pci is in /sys (ls builds such
	 * paths from link targets) although it folds to /bus/pci. The path is
	 * redirected as written and resolved inside the fixture the same way.
	 */
	if (!path_allowed_as_written(path) || !path_normalize(path, nbuf))
		return 0;
	len = strlen(path);
	if (r->len + len >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(out, r->path, r->len);
	memcpy(out + r->len, path, len + 1);
	return 1;
}

bool node_of_fd(const struct vfr_root *r, int fd, char *node)
{
	char proc[64], target[PATH_MAX];
	ssize_t n;
	int saved = errno;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	vfr_busy++;
	n = readlink(proc, target, sizeof(target) - 1);
	vfr_busy--;
	errno = saved;
	if (n <= 0)
		return false;
	target[n] = '\0';
	if (strncmp(target, r->path, r->len) != 0 ||
	    (target[r->len] != '/' && target[r->len] != '\0'))
		return false;
	snprintf(node, PATH_MAX, "%s", target[r->len] ? target + r->len : "/");
	return true;
}

bool path_join(const char *dir, const char *rel, char *out)
{
	int n = snprintf(out, PATH_MAX, "%s%s%s", dir,
			 dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", rel);

	return n > 0 && n < PATH_MAX;
}

bool node_canonical(const struct vfr_root *r, const char *node, char *out)
{
	char full[PATH_MAX], parent[PATH_MAX], canon[PATH_MAX];
	const char *base;
	char *slash;
	int saved = errno;
	bool ok;

	if (snprintf(full, sizeof(full), "%s%s", r->path, node) >= (int)sizeof(full))
		return false;
	slash = strrchr(full, '/');
	base = slash + 1;
	memcpy(parent, full, (size_t)(slash - full));
	parent[slash - full] = '\0';
	vfr_busy++;
	ok = realpath(parent[0] ? parent : "/", canon) != NULL;
	vfr_busy--;
	errno = saved;
	if (!ok || strncmp(canon, r->path, r->len) != 0 ||
	    (canon[r->len] != '/' && canon[r->len] != '\0'))
		return false;
	return snprintf(out, PATH_MAX, "%s/%s", canon + r->len, base) < PATH_MAX;
}
