/* The control protocol: every command parses from its JSON line and is built
 * from chokepoint-ctl's words; bad requests are refused with a reason. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"

static struct cp_ctl_req r;
static char err[256];

static int parse(const char *s)
{
	err[0] = '\0';
	return cp_ctl_parse(s, strlen(s), &r, err, sizeof(err));
}

Test(ctl, every_command_in_the_table_round_trips)
{
	for (unsigned i = 0; i < CP_CTL__COUNT; i++) {
		const struct cp_ctl_cmd_info *c = &cp_ctl_cmds[i];
		char *words[3] = { (char *)c->name, "ipv4", "192.0.2.1" };
		int n = c->args >= CP_CTL_ARGS_TYPE_VALUE ? 3 : 1;
		char *line = cp_ctl_request(n, words, err, sizeof(err));
		cr_assert_not_null(line, "%s: %s", c->name, err);
		cr_expect_eq(parse(line), 0, "%s: %s", line, err);
		cr_expect_eq(r.cmd, i);
		cr_expect(c->help != NULL && strlen(c->help) > 10, "%s has help", c->name);
		cr_expect(strncmp(c->usage, c->name, strlen(c->name)) == 0);
		free(line);
	}
}

Test(ctl, arguments)
{
	cr_assert_eq(parse("{\"cmd\":\"reload\",\"path\":\"/var/lib/x.cpsnap\"}"), 0, "%s", err);
	cr_expect_str_eq(r.path, "/var/lib/x.cpsnap");
	cr_assert_eq(parse("{\"cmd\":\"reload\"}"), 0);
	cr_expect_str_eq(r.path, "", "no path: the snapshot in force");
	cr_assert_eq(parse("{\"cmd\":\"lookup\",\"type\":\"domain\",\"value\":\"Evil.Example\"}"), 0);
	cr_expect_eq(r.type, CP_T_DOMAIN);
	cr_expect_str_eq(r.value, "Evil.Example");
	cr_expect_eq(r.vlen, 12);
	/* Members it does not know are ignored, as JSON APIs do. */
	cr_expect_eq(parse("{\"cmd\":\"status\",\"id\":7}"), 0);
	char *words[] = { "reload", "a b.cpsnap" };
	char *line = cp_ctl_request(2, words, err, sizeof(err));
	cr_assert_not_null(line);
	cr_expect_eq(parse(line), 0);
	cr_expect_str_eq(r.path, "a b.cpsnap");
	free(line);
}

Test(ctl, add_and_remove)
{
	char *w[] = { "add", "domain", "*.bad.example", "action=alert", "feed=soc", "ttl=3600" };
	char *line = cp_ctl_request(6, w, err, sizeof(err));
	cr_assert_not_null(line, "%s", err);
	cr_assert_eq(parse(line), 0, "%s: %s", line, err);
	cr_expect_eq(r.cmd, CP_CTL_ADD);
	cr_expect_eq(r.type, CP_T_DOMAIN);
	cr_expect_str_eq(r.value, "*.bad.example");
	cr_expect_eq(r.action, CP_ACT_ALERT);
	cr_expect_str_eq(r.feed, "soc");
	cr_expect_eq(r.ttl, 3600);
	free(line);
	cr_assert_eq(parse("{\"cmd\":\"remove\",\"type\":\"ipv4\",\"value\":\"192.0.2.1\"}"), 0);
	cr_expect_eq(r.cmd, CP_CTL_REMOVE);
	cr_expect_eq(r.action, CP_ACT_DROP, "defaults");
	cr_expect_str_eq(r.feed, "live");
	cr_expect_eq(r.ttl, 0);
	static const char *const bad[] = {
		"{\"cmd\":\"add\",\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"action\":\"none\"}",
		"{\"cmd\":\"add\",\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"ttl\":0}",
		"{\"cmd\":\"add\",\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"ttl\":\"1h\"}",
		"{\"cmd\":\"add\",\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"feed\":\"\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(parse(bad[i]), -EINVAL, "%s", bad[i]);
	char *w2[] = { "add", "ipv4", "1.2.3.4", "colour=red" };
	cr_expect_null(cp_ctl_request(4, w2, err, sizeof(err)));
	cr_expect(strstr(err, "usage: add TYPE VALUE") != NULL, "%s", err);
}

Test(ctl, refusals_say_why)
{
	static const struct {
		const char *line, *reason;
	} bad[] = {
		{ "", "invalid JSON" },
		{ "{\"cmd\":\"status\"", "invalid JSON" },
		{ "[1,2]", "a request is a JSON object" },
		{ "{\"cmd\":7}", "a request needs a \"cmd\" string" },
		{ "{}", "a request needs a \"cmd\" string" },
		{ "{\"cmd\":\"explode\"}", "unknown command 'explode'" },
		{ "{\"cmd\":\"status\",\"cmd\":\"reload\"}", "invalid JSON" },
		{ "{\"cmd\":\"lookup\",\"type\":\"ipv4\"}", "lookup needs" },
		{ "{\"cmd\":\"lookup\",\"type\":\"ipv9\",\"value\":\"x\"}", "unknown indicator type" },
		{ "{\"cmd\":\"add\",\"type\":\"pattern\",\"value\":\"/x+/\"}", "by compile and reload" },
		{ "{\"cmd\":\"lookup\",\"type\":\"ipv4\",\"value\":1}", "lookup needs" },
		{ "{\"cmd\":\"reload\",\"path\":\"\"}", "\"path\" must be a file name" },
		{ "{\"cmd\":\"reload\",\"path\":\"a\\u0000b\"}", "invalid JSON" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(parse(bad[i].line), -EINVAL, "%s", bad[i].line);
		cr_expect(strstr(err, bad[i].reason) != NULL, "%s -> %s", bad[i].line, err);
	}
	char *big = malloc(CP_CTL_MSG_MAX + 2);
	memset(big, ' ', CP_CTL_MSG_MAX + 1);
	big[CP_CTL_MSG_MAX + 1] = '\0';
	cr_expect_eq(parse(big), -EINVAL);
	cr_expect(strstr(err, "64 KiB") != NULL, "%s", err);
	free(big);
	char *w1[] = { "lookup", "ipv4" }, *w2[] = { "nope" }, *w3[] = { "status", "extra" };
	cr_expect_null(cp_ctl_request(2, w1, err, sizeof(err)));
	cr_expect(strstr(err, "usage: lookup TYPE VALUE") != NULL, "%s", err);
	cr_expect_null(cp_ctl_request(1, w2, err, sizeof(err)));
	cr_expect_null(cp_ctl_request(2, w3, err, sizeof(err)));
	cr_expect_null(cp_ctl_request(0, w2, err, sizeof(err)));
}

/* The protocol is JSON, so text only: an argument that is not UTF-8 is
 * refused by name. Before, json_string() gave NULL, the member was left
 * out, and `reload <a Latin-1 file name>` went out as a bare reload, which
 * reloads the set in force and says ok. UTF-8 goes through as it is. */
Test(ctl, arguments_that_are_not_utf8_are_refused)
{
	char *w1[] = { "reload", "/var/lib/caf\xe9.cpsnap" };
	char *w2[] = { "lookup", "domain", "caf\xe9.example" };
	char *w3[] = { "add", "ipv4", "192.0.2.1", "feed=soc\xff" };

	cr_expect_null(cp_ctl_request(2, w1, err, sizeof(err)));
	cr_expect_str_eq(err, "argument '/var/lib/caf\\xe9.cpsnap' is not valid UTF-8");
	cr_expect_null(cp_ctl_request(3, w2, err, sizeof(err)));
	cr_expect(strstr(err, "caf\\xe9.example") != NULL, "%s", err);
	cr_expect_null(cp_ctl_request(4, w3, err, sizeof(err)));
	cr_expect(strstr(err, "feed=soc\\xff") != NULL, "%s", err);

	char *ok[] = { "reload", "/var/lib/caf\xc3\xa9.cpsnap" };
	char *line = cp_ctl_request(2, ok, err, sizeof(err));
	cr_assert_not_null(line, "%s", err);
	cr_assert_eq(parse(line), 0, "%s: %s", line, err);
	cr_expect_str_eq(r.path, "/var/lib/caf\xc3\xa9.cpsnap");
	free(line);
}
