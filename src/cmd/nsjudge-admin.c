/* nsjudge-admin: the operator's tool for API keys (issue #13).
 *   nsjudge-admin key create --name NAME --scopes submit,read
 *   nsjudge-admin key list
 *   nsjudge-admin key revoke ID
 * Talks to Postgres (DATABASE_URL) directly, applying the migrations
 * first, so it works before the API ever ran. A new key's secret is shown
 * once, on the last line of `key create`; only its SHA-256 is stored.
 * Exit status: 0 done, 1 the database failed, 2 bad usage (a line on stderr). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "core/scope.h"
#include "service/startup.h"
#include "store/store.h"

static const char usage_text[] =
    "usage: nsjudge-admin key create --name NAME --scopes SCOPES\n"
    "       nsjudge-admin key list\n"
    "       nsjudge-admin key revoke ID\n"
    "\n"
    "Manage the API's keys. SCOPES: submit, read, admin, joined by commas.\n"
    "The new key's secret is printed once, on the last line of key create.\n"
    "\n"
    "environment: DATABASE_URL [postgresql://127.0.0.1:5432/nsjudge]\n";

static int usage(const char *why)
{
    fprintf(stderr, "nsjudge-admin: %s (see --help)\n", why);
    return 2;
}

static int create(store_t *db, const char *name, const char *scope_text)
{
    unsigned scopes;
    char why[160], text[CORE_SCOPES_TEXT_MAX];
    if (core_scopes_parse(scope_text, &scopes, why, sizeof why) < 0)
        return usage(why);
    if (!scopes)
        return usage("a key needs at least one scope (--scopes submit,read)");
    char secret[API_KEY_SECRET_LEN + 1], sha[65], prefix[API_KEY_PREFIX_LEN + 1], id[STORE_UUID_LEN + 1];
    if (api_key_generate(secret, sha, prefix) < 0) {
        fprintf(stderr, "nsjudge-admin: the random source failed\n");
        return 1;
    }
    core_scopes_format(scopes, text);
    nsj_error_t err;
    if (store_key_create(db, name, text, sha, prefix, id, &err) < 0) {
        fprintf(stderr, "nsjudge-admin: storing the key: %s\n", err.msg);
        return err.errnum == EIO ? 2 : 1;
    }
    printf("key %s (%s), scopes %s; its secret, shown only now:\n%s\n", id, name, text, secret);
    return 0;
}

static int list(store_t *db)
{
    store_key_t *keys;
    size_t n;
    nsj_error_t err;
    if (store_key_list(db, &keys, &n, &err) < 0) {
        fprintf(stderr, "nsjudge-admin: listing the keys: %s\n", err.msg);
        return 1;
    }
    printf("%-36s  %-12s  %-18s  %-27s  %s\n", "id", "prefix", "scopes", "created", "name (revoked)");
    for (size_t i = 0; i < n; i++)
        printf("%-36s  %-12s  %-18s  %-27s  %s%s%s%s\n", keys[i].id, keys[i].prefix, keys[i].scopes,
               keys[i].created_at, keys[i].name, keys[i].revoked_at[0] ? " (revoked " : "", keys[i].revoked_at,
               keys[i].revoked_at[0] ? ")" : "");
    free(keys);
    return 0;
}

static int revoke(store_t *db, const char *id)
{
    char tmp[37], path[64];
    snprintf(path, sizeof path, "/keys/%.40s", id);
    if (api_keys_route_match(path, tmp) != API_KEYS_ONE)
        return usage("a key's id is a UUID (nsjudge-admin key list shows them)");
    nsj_error_t err;
    if (store_key_revoke(db, tmp, &err) < 0) {
        fprintf(stderr, "nsjudge-admin: %s\n", err.msg);
        return err.errnum == ENOENT ? 2 : 1;
    }
    printf("key %s revoked\n", tmp);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc < 3 || strcmp(argv[1], "key") != 0)
        return usage("expected 'key create', 'key list' or 'key revoke'");
    const char *cmd = argv[2], *name = NULL, *scopes = NULL, *id = NULL;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--name") && i + 1 < argc)
            name = argv[++i];
        else if (!strcmp(argv[i], "--scopes") && i + 1 < argc)
            scopes = argv[++i];
        else if (!strcmp(cmd, "revoke") && !id && argv[i][0] != '-')
            id = argv[i];
        else
            return usage("unexpected argument");
    }
    if (!strcmp(cmd, "create") && (!name || !*name || strlen(name) > 200 || !scopes))
        return usage("key create needs --name NAME (1 to 200 bytes) and --scopes SCOPES");
    if (!strcmp(cmd, "revoke") && !id)
        return usage("key revoke needs the key's id");
    if (strcmp(cmd, "create") && strcmp(cmd, "list") && strcmp(cmd, "revoke"))
        return usage("expected 'key create', 'key list' or 'key revoke'");
    const char *url = getenv("DATABASE_URL");
    store_t *db;
    nsj_error_t err;
    if (store_connect(url && *url ? url : "postgresql://127.0.0.1:5432/nsjudge", "nsjudge-admin", &db, &err) < 0) {
        fprintf(stderr, "nsjudge-admin: %s\n", err.msg);
        return 1;
    }
    int rc = service_migrate(db, "nsjudge-admin") < 0 ? 1
             : !strcmp(cmd, "create")                ? create(db, name, scopes)
             : !strcmp(cmd, "list")                  ? list(db)
                                                     : revoke(db, id);
    store_close(db);
    return rc;
}
