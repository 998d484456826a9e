/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfr-mkfixture: a declarative host description (FIXTURES.md) becomes a
 * model (mkfixture-desc.c), the model becomes config-space images
 * (mkfixture-config.c) and a sysfs-like tree (mkfixture-tree.c);
 * mkfixture-synth.c writes descriptions of large plausible hosts.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

/* Exit status 2 is a bad description or usage, 1 an I/O failure. */
#define FX_ERROR (fx_error_quark())
enum {
	FX_ERROR_IO = 1,
	FX_ERROR_DESC = 2,
};
GQuark fx_error_quark(void);

enum fx_kind {
	KIND_ENDPOINT,	   /* PCIe endpoint */
	KIND_PCI_ENDPOINT, /* conventional PCI function */
	KIND_RC_ENDPOINT,  /* root complex integrated endpoint */
	KIND_ROOT_PORT,
	KIND_UPSTREAM_PORT,
	KIND_DOWNSTREAM_PORT,
	KIND_PCIE_PCI_BRIDGE,
	KIND_PCI_BRIDGE, /* conventional PCI-to-PCI bridge */
	KIND_CARDBUS,
};

struct fx_kind_info {
	const char *name;
	bool bridge;	     /* may be a parent */
	bool pcie;	     /* has the PCI Express capability, 4096-byte config */
	uint8_t header_type; /* 0, 1 or 2 */
	int8_t pcie_type;    /* Device/Port Type in the PCIe capability, -1: none */
	uint32_t class;	     /* default class code */
};
extern const struct fx_kind_info fx_kinds[];

/* caps= tokens */
enum {
	CAP_PM = 1u << 0,
	CAP_PM_NOSOFTRST = 1u << 1,
	CAP_FLR = 1u << 2,
	CAP_AF_FLR = 1u << 3,
	CAP_AF_TP = 1u << 4,
	CAP_ACS = 1u << 5,
	CAP_SRIOV = 1u << 6,
	CAP_MSI = 1u << 7,
	CAP_MSIX = 1u << 8,
};

enum fx_corrupt {
	CORRUPT_NONE,
	CORRUPT_CAP_LOOP,
	CORRUPT_CAP_OUT_OF_RANGE,
	CORRUPT_CAP_PAST_END,
	CORRUPT_EXT_CAP_LOOP,
	CORRUPT_TRUNCATED,
	CORRUPT_ALL_ONES,
};

/* dangling= and escaping= tokens */
enum {
	LINK_DRIVER = 1u << 0,
	LINK_IOMMU_GROUP = 1u << 1,
	LINK_PHYSFN = 1u << 2,
};

/* The attribute files of a function; missing= takes these names. */
enum fx_attr {
	ATTR_CONFIG,
	ATTR_VENDOR,
	ATTR_DEVICE,
	ATTR_SUBSYSTEM_VENDOR,
	ATTR_SUBSYSTEM_DEVICE,
	ATTR_CLASS,
	ATTR_REVISION,
	ATTR_MODALIAS,
	ATTR_UEVENT,
	ATTR_NUMA_NODE,
	ATTR_DRIVER_OVERRIDE,
	ATTR_POWER_STATE,
	ATTR_ENABLE,
	ATTR_IRQ,
	ATTR_LOCAL_CPULIST,
	ATTR_RESOURCE,
	ATTR_RESET,
	ATTR_RESET_METHOD,
	ATTR_REMOVE,
	ATTR_RESCAN,
	ATTR_SRIOV_NUMVFS,
	ATTR_SRIOV_TOTALVFS,
	ATTR_SRIOV_OFFSET,
	ATTR_SRIOV_STRIDE,
	ATTR_SRIOV_VF_DEVICE,
	ATTR_SRIOV_DRIVERS_AUTOPROBE,
	ATTR_COUNT,
};
extern const char *const fx_attr_names[ATTR_COUNT];

struct fx_rootbus;

struct fx_dev {
	char *section; /* "device 0000:00:1c.0", for messages */
	char addr[24]; /* canonical "0000:00:1c.0" */
	uint32_t domain;
	uint8_t bus, slot, fn;
	enum fx_kind kind;
	uint16_t vendor, device, subvendor, subdevice;
	uint32_t class;
	uint8_t revision;
	char *driver;	       /* NULL: unbound */
	char *driver_override; /* NULL: "(null)" */
	int iommu_group;       /* -1: no link */
	int numa_node;
	char *reset_method; /* NULL: neither reset nor reset_method */
	char *power_state;
	unsigned int caps;
	int vfio_dev; /* -1: default, 0, 1 */
	enum fx_corrupt corrupt;
	uint64_t missing; /* 1 << enum fx_attr */
	unsigned int dangling, escaping;
	int secondary; /* secondary= for a bridge, -1: derived */
	int total_vfs; /* total_vfs=, -1: derived */
	int vf_offset_key, vf_stride_key; /* vf_offset=, vf_stride=; -1: derived */
	bool link_down; /* link_active=false: a port that never reports DL_Active */
	int acs_ctrl;   /* acs_ctrl=: the ACS Control register, -1: SV RR CR UF as Linux sets */
	int multifunction_key; /* multifunction=, -1: derived from the slot */
	char *parent_addr, *physfn_addr;
	char *net; /* net=: the interfaces the driver made (comma list), NULL: none */

	/* Kernel behaviour for the mock harness (mkfixture-mock.c), comma lists */
	char *probed_reset_method; /* NULL: reset_method without the stale ones */
	char *stale_reset_method;
	char *reset_errno;   /* "flr:EIO,pm:ENOTTY" */
	char *reset_latency; /* "*:100" or "flr:100,pm:10" */
	char *reset_hang;    /* "*" or "flr,bus" */
	/* A PF: what a VF enabled at run time looks like */
	int vf_device_key;     /* vf_device=, -1: derived */
	int vf_caps;	       /* vf_caps=, -1: derived */
	char *vf_reset_method; /* vf_reset_method= as written, NULL: derived */

	/* Resolved by fixture_load() */
	size_t index;		    /* position in address order */
	struct fx_dev *parent;	    /* upstream bridge, NULL on a root bus */
	struct fx_rootbus *rootbus; /* the root bus above, for every function */
	struct fx_dev *physfn;	    /* the PF when it is described */
	bool is_vf;		    /* physfn= given */
	GPtrArray *children;	    /* functions whose parent is this bridge */
	GPtrArray *vfs;		    /* VFs of this PF in address order */
	unsigned int vf_index;	    /* a VF's position in its PF's vfs */
	uint16_t vf_offset, vf_stride, vf_device;
	uint8_t subordinate; /* bridges: the highest bus below */
	bool multifunction;
	bool has_vfio_dev;
	int vfio_index;	    /* K of vfio-dev/vfioK, -1: none */
	char *path;	    /* "sys/devices/pci0000:00/0000:00:1c.0" */
	unsigned int depth; /* components of path below sys/ */
};

struct fx_rootbus {
	char name[24]; /* "0000:00" */
	char *section; /* "root-bus 10000:e0" when described */
	uint32_t domain;
	uint8_t bus;
	char *parent_addr;
	struct fx_dev *parent; /* the device whose directory holds pciDDDD:BB */
	char *path;	       /* ".../pci0000:00" */
	uint8_t subordinate;
	struct fx_dev *first; /* the first function on it without parent= */
};

struct fx_driver {
	char *name;
	char *module;	 /* NULL: built in */
	char *ids;	 /* ids=, normalized; NULL: the ids of its functions */
	int vfio;	 /* vfio=, -1: a name with "vfio" */
	bool needed;	 /* a function is bound or a [driver] section exists */
	GPtrArray *devs; /* bound functions in address order */
};

struct fx_group {
	int number;
	bool needed; /* has a member whose link does not dangle */
	bool vfio; /* a member is bound to a vfio driver: /dev/vfio/N */
	GPtrArray *devs;
};

struct fixture {
	bool vfio_dev; /* [host] */
	bool power_state;
	bool vfio_cdev;
	bool reset_method; /* Linux >= 5.15: reset_method beside reset */
	char *cpulist;
	GPtrArray *devs;      /* struct fx_dev, address order */
	GHashTable *by_addr;  /* addr -> fx_dev */
	GPtrArray *rootbuses; /* struct fx_rootbus, name order */
	GPtrArray *drivers;   /* struct fx_driver, name order */
	GPtrArray *groups;    /* struct fx_group, number order */
	GPtrArray *faults;    /* [fault] sections as lines of the faults file */
	bool any_vfio;
};

static inline unsigned int fx_rid(const struct fx_dev *d)
{
	return (unsigned int)d->bus << 8 | d->slot << 3 | d->fn;
}

static inline bool fx_is_vfio_driver(const char *driver)
{
	/*
	 * A kernel shows vfio-dev/; a description only has the name, so this
	 * is DESIGN.md's last resort: vfio-pci and names containing "vfio".
	 */
	return driver && strstr(driver, "vfio");
}

/* mkfixture-desc.c */
struct fixture *fixture_load(const char *file, GError **error);
void fixture_free(struct fixture *fx);
/* The kernel's spelling ("0000:00:1c.0", "10000:e0:06.0"; any case) is an address. */
bool fx_parse_address(const char *text, struct fx_dev *d);

/* The kernel's reset method names, in its priority order. */
extern const char *const fx_reset_methods[];

/* What mkfixture-desc.c hands to mkfixture-resolve.c */
struct fx_parser {
	const char *file;
	GKeyFile *kf;
	struct fixture *fx;
	GHashTable *drivers;   /* name -> fx_driver, owned by fx->drivers */
	GHashTable *rootbuses; /* name -> fx_rootbus, owned by fx->rootbuses */
	GError **error;
};
/* Sets a FX_ERROR_DESC "FILE: [SECTION] KEY: message" and returns false. */
bool fx_fail(struct fx_parser *p, const char *section, const char *key, const char *fmt,
	     ...) G_GNUC_PRINTF(4, 5);
struct fx_driver *fx_driver_get(struct fx_parser *p, const char *name);

/* Value accessors of mkfixture-desc.c, for mkfixture-mock.c */
bool fx_get(struct fx_parser *p, const char *group, const char *key, char **ret);
bool fx_get_bool(struct fx_parser *p, const char *group, const char *key, bool *ret);
bool fx_get_int(struct fx_parser *p, const char *group, const char *key, int64_t min,
		int64_t max, int *ret);
bool fx_get_hex(struct fx_parser *p, const char *group, const char *key, unsigned int digits,
		bool required, uint32_t *ret);
bool fx_get_caps(struct fx_parser *p, const char *group, const char *key, unsigned int *ret);
bool fx_check_keys(struct fx_parser *p, const char *group, const char *const *allowed);

/* mkfixture-mock.c: the mock harness's keys and its state below OUTDIR/.vfr-mock */
extern const char *const fx_mock_device_keys[];
extern const char *const fx_mock_driver_keys[];
bool fx_parse_mock_device(struct fx_parser *p, const char *group, struct fx_dev *d);
bool fx_parse_mock_driver(struct fx_parser *p, const char *group, struct fx_driver *drv);
bool fx_parse_fault(struct fx_parser *p, const char *group, const char *name);
bool fx_resolve_mock(struct fx_parser *p);
/* The VF a PF shows when VFs are enabled at run time (freed with fx_dev_free). */
struct fx_dev *fx_vf_template(const struct fx_dev *pf);
void fx_dev_free(struct fx_dev *d);
bool fx_mock_write_state(const struct fixture *fx, const char *outdir, GError **error);

/* mkfixture-resolve.c: the checks and facts that span sections. */
bool fx_resolve(struct fx_parser *p);

/* mkfixture-config.c: the config-space image; returns its size in bytes. */
size_t fx_config_build(const struct fx_dev *d, uint8_t cfg[4096]);
/* BAR 0 of a function (every non-bridge has one of FX_BAR_SIZE bytes), 0: none. */
#define FX_BAR_SIZE 0x4000u
uint64_t fx_bar0_address(const struct fx_dev *d);
/* The first VF's BAR 0 in a PF's SR-IOV capability; VF k follows at k * FX_BAR_SIZE. */
uint64_t fx_vf_bar0_base(const struct fx_dev *pf);
/* The legacy interrupt line (the irq attribute), 0 when the function has no pin. */
unsigned int fx_irq(const struct fx_dev *d);

/* mkfixture-tree.c */
bool fixture_write(const struct fixture *fx, const char *outdir, bool force,
		   GError **error);

/*
 * mkfixture-capture.c: the description of the host below @root ("/" for
 * this one) into @out; *@ret_unread counts the values it could not read.
 * False (FX_ERROR_IO) when @root has no readable sys/bus/pci/devices.
 */
bool fx_capture(const char *root, GString *out, unsigned int *ret_unread, GError **error);

/* mkfixture-synth.c */
void fx_synthesize(GString *out, unsigned int n, uint64_t seed);
