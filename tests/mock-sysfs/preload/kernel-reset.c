/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reset_method and reset, as drivers/pci/pci.c and pci-sysfs.c have them:
 * reset_method takes known, supported names (else EINVAL and the list stays),
 * "default" re-probes, the empty string disables resets; reset runs the
 * methods of the list in order, ENOTTY from one moves on to the next and any
 * other error stops. What each method does on this function (its probe
 * result, a stale entry, an errno, a latency, a hang) comes from the
 * function's line in .vfr-mock/devices.
 */
#include "kernel.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "errnames.h"

#define NUM_RESET_METHODS 8 /* PCI_NUM_RESET_METHODS: seven and the terminator */

static const char *const methods[] = {
	"device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus", NULL,
};

struct behaviour {
	bool found;
	char listed[256]; /* comma lists; listed: what the fixture's reset_method says */
	char probed[256];
	char stale[256];
	char errnos[512];
	char latency[512];
	char hang[256];
};

static void take(const char *word, const char *key, char *out, size_t size)
{
	size_t len = strlen(key);

	if (strncmp(word, key, len) == 0 && word[len] == '=')
		snprintf(out, size, "%s", word + len + 1);
}

static void behaviour_of(struct kctx *k, const char *addr, struct behaviour *b)
{
	char line[4096], key[64];
	size_t klen = (size_t)snprintf(key, sizeof(key), "%s ", addr);
	int fd = openat(k->root, ".vfr-mock/devices", O_RDONLY | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;

	memset(b, 0, sizeof(*b));
	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (!b->found && fgets(line, sizeof(line), f)) {
		char *save = NULL;

		if (strncmp(line, key, klen) != 0)
			continue;
		b->found = true;
		line[strcspn(line, "\n")] = '\0';
		for (char *w = strtok_r(line + klen, " ", &save); w;
		     w = strtok_r(NULL, " ", &save)) {
			take(w, "listed_reset_method", b->listed, sizeof(b->listed));
			take(w, "probed_reset_method", b->probed, sizeof(b->probed));
			take(w, "stale_reset_method", b->stale, sizeof(b->stale));
			take(w, "reset_errno", b->errnos, sizeof(b->errnos));
			take(w, "reset_latency_ms", b->latency, sizeof(b->latency));
			take(w, "reset_hang", b->hang, sizeof(b->hang));
		}
	}
	fclose(f);
}

/* @name in a comma list; "*" is every name. */
static bool in_list(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");

		if ((n == len && strncmp(p, name, len) == 0) || (n == 1 && *p == '*'))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

/* The value of @method in "flr:EIO,*:ENOTTY"; the method's own entry wins over "*". */
static bool method_value(const char *list, const char *method, char *out, size_t size)
{
	size_t len = strlen(method);
	bool found = false;

	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		const char *colon = memchr(p, ':', n);

		if (colon && (((size_t)(colon - p) == len && strncmp(p, method, len) == 0) ||
			      (!found && colon - p == 1 && *p == '*'))) {
			snprintf(out, size, "%.*s", (int)(n - (size_t)(colon + 1 - p)), colon + 1);
			found = true;
			if (*p != '*')
				return true;
		}
		p += n + (p[n] == ',');
	}
	return found;
}

static bool known(const char *name)
{
	for (const char *const *m = methods; *m; m++)
		if (strcmp(*m, name) == 0)
			return true;
	return false;
}

/* Whether the method's probe succeeds now (a stale entry's does not). */
static bool supported(const struct behaviour *b, const char *current, const char *name)
{
	char list[512], *save = NULL;

	if (b->found)
		return in_list(b->probed, name) && !in_list(b->stale, name);
	/* No description: what is listed is all we know works. */
	snprintf(list, sizeof(list), "%s", current);
	for (char *w = strtok_r(list, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (strcmp(w, name) == 0)
			return true;
	return false;
}

static char *strim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int k_reset_method(struct kctx *k, const struct kdev *d, const char *buf, size_t len)
{
	char current[512], options[4096], list[512] = "", text[520];
	struct behaviour b;
	char *rest, *name;
	int n = 0, r;

	if (k_attr(k, d, "reset_method", current, sizeof(current)) < 0)
		current[0] = '\0';
	behaviour_of(k, d->addr, &b);
	if (k_streq(buf, len, "")) {
		/* "All device reset methods disabled by user" */
	} else if (k_streq(buf, len, "default")) {
		/* pci_init_reset_methods(): probe again. */
		snprintf(list, sizeof(list), "%s", b.found ? b.probed : current);
		for (char *c = list; *c; c++)
			if (*c == ',')
				*c = ' ';
	} else {
		if (len >= sizeof(options))
			return -EINVAL;
		memcpy(options, buf, len);
		options[len] = '\0';
		rest = options;
		while ((name = strsep(&rest, " "))) {
			if (k_streq(name, strlen(name), ""))
				continue;
			name = strim(name);
			/* "Invalid reset method" / "Unsupported reset method": the list stays. */
			if (!known(name) || !supported(&b, current, name) ||
			    n == NUM_RESET_METHODS - 1)
				return -EINVAL;
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 n ? " " : "", name);
			n++;
		}
	}
	snprintf(text, sizeof(text), "%s%s", list, list[0] ? "\n" : "");
	/* Stored first: a test that waits for the line then reads the list it says. */
	r = k_attr_put(k, d, "reset_method", text);
	journal(k->r, "reset_method %s %s", d->addr, list[0] ? list : "-");
	return r;
}

/*
 * A PF's reset, by any method, clears VF Enable; the kernel restores its
 * SR-IOV state afterwards (pci_restore_iov_state), so the VFs come back -
 * reset, whoever was using them: their Command register reads cleared
 * (the "lost bus master" of a VF held by a VM). The kernel checks no VF
 * user and takes no VF lock.
 */
static void reset_virtfns(struct kctx *k, const struct kdev *pf)
{
	size_t n = 0;
	char **names = k_names(k, pf->path, &n);

	for (size_t i = 0; names && i < n; i++) {
		char rel[PATH_MAX], target[PATH_MAX], vf[PATH_MAX], config[PATH_MAX + 8];
		unsigned char cmd[2];
		const char *slash;
		int fd;

		if (strncmp(names[i], "virtfn", 6) != 0 || !path_join(pf->path, names[i], rel) ||
		    k_readlink(k, rel, target, sizeof(target)) < 0 ||
		    !k_resolve(pf->path, target, vf))
			continue;
		snprintf(config, sizeof(config), "%s/config", vf);
		fd = openat(k->root, config, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (pread(fd, cmd, 2, 4) == 2) {
			cmd[0] &= (unsigned char)~0x07; /* I/O, memory, bus master */
			if (pwrite(fd, cmd, 2, 4) == 2)
				journal(k->r, "vf_reset %s %s", pf->addr,
					(slash = strrchr(vf, '/')) ? slash + 1 : vf);
		}
		close(fd);
	}
	k_names_free(names);
}

/*
 * A reset that never returns keeps more than its own function's config
 * locked: on Debian 6.12 a stuck reset of an igbvf VF also made every
 * reader of the root port above its PF sleep. A hanging method here locks
 * the bridges above the function as well, for as long as it hangs.
 */
static void lock_upstream(struct kctx *k, const struct kdev *d)
{
	char path[PATH_MAX];
	char *slash;

	snprintf(path, sizeof(path), "%s", d->path);
	while ((slash = strrchr(path, '/'))) {
		int fd;

		*slash = '\0';
		if (!is_address(strrchr(path, '/') ? strrchr(path, '/') + 1 : path))
			break;
		fd = openat(k->root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
				;
		/* Kept open (and locked) until the hanging writer is killed. */
	}
}

int k_reset(struct kctx *k, const struct kdev *d, const char *buf, size_t len)
{
	char list[512], value[64], *save = NULL;
	struct behaviour b;
	unsigned long val;
	int devfd, ret = -ENOTTY;

	if (k_strtoul(buf, len, &val) < 0 || val != 1)
		return -EINVAL;
	behaviour_of(k, d->addr, &b);
	if (k_attr(k, d, "reset_method", list, sizeof(list)) == -ENOENT) {
		/* A kernel before 5.15: its own list, in its order, not shown. */
		snprintf(list, sizeof(list), "%s", b.listed);
		for (char *c = list; *c; c++)
			if (*c == ',')
				*c = ' ';
	} else if (k_attr(k, d, "reset_method", list, sizeof(list)) < 0) {
		list[0] = '\0';
	}
	/*
	 * A reset takes as long as it takes without holding up the rest of the
	 * simulated kernel; the device lock orders resets of one function.
	 */
	k_unlock(k);
	devfd = openat(k->root, d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (devfd >= 0)
		while (flock(devfd, LOCK_EX) < 0 && errno == EINTR)
			;
	if (!list[0])
		journal(k->r, "reset %s - ENOTTY", d->addr); /* pci_reset_supported() */
	for (char *m = strtok_r(list, " ", &save); m; m = strtok_r(NULL, " ", &save)) {
		int res = 0;

		if (b.found && !supported(&b, "", m)) {
			res = ENOTTY; /* a stale entry: the method's probe fails now */
		} else {
			if (method_value(b.latency, m, value, sizeof(value)))
				kernel_delay(atol(value));
			if (in_list(b.hang, m)) {
				lock_upstream(k, d);
				journal(k->r, "reset %s %s hang", d->addr, m);
				kernel_delay(-1);
			}
			if (method_value(b.errnos, m, value, sizeof(value)))
				res = vfr_errno_parse(value);
		}
		if (res && vfr_errno_name(res))
			journal(k->r, "reset %s %s %s", d->addr, m, vfr_errno_name(res));
		else if (res)
			journal(k->r, "reset %s %s %d", d->addr, m, res);
		else
			journal(k->r, "reset %s %s ok", d->addr, m);
		if (res != ENOTTY) {
			ret = -res;
			if (res == 0)
				reset_virtfns(k, d);
			break;
		}
	}
	if (devfd >= 0)
		close(devfd);
	return ret;
}

bool k_reset_supported(struct kctx *k, const struct kdev *d)
{
	char list[512], *save = NULL;
	struct behaviour b;

	behaviour_of(k, d->addr, &b);
	if (k_attr(k, d, "reset_method", list, sizeof(list)) == -ENOENT) {
		snprintf(list, sizeof(list), "%s", b.listed); /* before 5.15 */
		for (char *c = list; *c; c++)
			if (*c == ',')
				*c = ' ';
	} else if (k_attr(k, d, "reset_method", list, sizeof(list)) < 0) {
		return false;
	}
	for (char *m = strtok_r(list, " ", &save); m; m = strtok_r(NULL, " ", &save))
		if (!b.found || supported(&b, "", m))
			return true;
	return false;
}

/*
 * pci_reset_bus(): every function's device lock is only tried (EAGAIN when
 * one is taken, as pci_bus_trylock()), then the bridge resets the bus. The
 * reset behaves as the functions' `bus` method says: the longest latency,
 * a hang when one of them hangs, the first errno (a `bus:ENOTTY` gives the
 * "link not active" answer of a fast emulated root port). The probe is the
 * live one, so a stale `bus` entry in reset_method does not matter here.
 */
int k_hot_reset(struct kctx *k, const char *caller, const struct kdev *devs, size_t n)
{
	char list[4096] = "", value[64];
	size_t len = 0, locked = 0;
	long latency = 0;
	bool hang = false;
	int *locks = calloc(n ? n : 1, sizeof(*locks)), err = 0;

	if (!locks)
		return -ENOMEM;
	for (size_t i = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? "," : "",
					devs[i].addr);
	for (size_t i = 0; i < n; i++) {
		struct behaviour b;

		behaviour_of(k, devs[i].addr, &b);
		if (method_value(b.latency, "bus", value, sizeof(value)) && atol(value) > latency)
			latency = atol(value);
		hang = hang || in_list(b.hang, "bus");
		if (!err && method_value(b.errnos, "bus", value, sizeof(value)))
			err = vfr_errno_parse(value);
	}
	k_unlock(k);
	for (; locked < n; locked++) {
		locks[locked] = openat(k->root, devs[locked].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (locks[locked] >= 0 && flock(locks[locked], LOCK_EX | LOCK_NB) < 0) {
			close(locks[locked]);
			err = EAGAIN;
			break;
		}
	}
	if (err != EAGAIN) {
		kernel_delay(latency);
		if (hang) {
			journal(k->r, "hot_reset %s %s hang", caller, list);
			kernel_delay(-1);
		}
	}
	if (err && vfr_errno_name(err))
		journal(k->r, "hot_reset %s %s %s", caller, list, vfr_errno_name(err));
	else if (err)
		journal(k->r, "hot_reset %s %s %d", caller, list, err);
	else
		journal(k->r, "hot_reset %s %s ok", caller, list);
	for (size_t i = 0; i < locked; i++)
		if (locks[i] >= 0)
			close(locks[i]);
	free(locks);
	return -err;
}
