/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copied as libkmod.so.2 into a directory first in LD_LIBRARY_PATH: a
 * libkmod without libkmod's functions, as on a host whose libkmod cannot be
 * used. The library must say so where it needs a module index, and list
 * without one.
 */
int vfr_kmod_stub(void);

int vfr_kmod_stub(void)
{
	return 0;
}
