/* Shared by the control server and its commands (engine/app only). */
#ifndef CP_CTL_INTERNAL_H
#define CP_CTL_INTERNAL_H

#include <jansson.h>
#include <time.h>

#include "app.h"
#include "common/cp.h"
#include "ctl/ctl.h"

/* The reply to a command that answers at once (all but reload). */
json_t *cp_ctl_run(struct cp_app *app, const struct cp_ctl_req *q);
/* {"ok":false,"error":reason} */
json_t *cp_ctl_error(const char *reason);
/* A JSON string of s, whatever its bytes: those that are not UTF-8 become
 * the text \xNN (cp_text_clean). NULL only when out of memory. */
json_t *cp_ctl_text(const char *s);
/* YYYY-MM-DDTHH:MM:SSZ */
void cp_ctl_iso_time(const struct timespec *t, char *buf, size_t n);

#endif
