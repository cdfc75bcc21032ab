/* SPDX-License-Identifier: MIT */
/* viewer/app_load.c - loads the viewer's SDL module (app.h,
 * view_app_load): dlopen of cardsim-viewer.so from the build tree, its
 * undefined symbols (the kernel's trace bus, the viewer's model) taken
 * from cardsim itself, which exports them. */
#include "viewer/app.h"

#include <dlfcn.h>
#include <stdio.h>

#include "cardsim_config.h"

const view_app_api_t *view_app_load(char *err, size_t errlen)
{
    static const view_app_api_t *api;
    if (api)
        return api;
    const char *path = CARDSIM_VIEWER_MODULE;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errlen, "the viewer module: %s", dlerror());
        return NULL;
    }
    api = dlsym(h, "view_app_api");
    if (!api)
        snprintf(err, errlen, "%s: no view_app_api", path);
    return api; /* the module stays loaded until the process ends */
}
