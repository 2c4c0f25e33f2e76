/* vfs_js.h -- the VFS backed by the JS package's storage backends (see vfs_js.c). */
#ifndef STRATA_JS_VFS_JS_H
#define STRATA_JS_VFS_JS_H

#include "vfs/vfs.h"

/* `host`: the index of its storage host in Module.strataHosts (passed to every import). */
STRATA_MUST_USE strata_status *vfs_js_new(int host, vfs **out);

#endif
