/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A libkmod.so.2 without libkmod's functions, found first through
 * LD_LIBRARY_PATH: a host whose libkmod cannot be used. The library must
 * say so where it needs a module index, and list without one.
 */
int vfr_kmod_stub(void);

int vfr_kmod_stub(void)
{
	return 0;
}
