/* filter.c: the PCRE2 title filter; see filter.h. */
#include "filter.h"

#include "crt.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void title_filter_init(TitleFilter *f)
{
    memset(f, 0, sizeof *f);
}

void title_filter_free(TitleFilter *f)
{
    pcre2_match_data_free(f->match);
    pcre2_code_free(f->code);
    memset(f, 0, sizeof *f);
}

bool title_filter_set(TitleFilter *f, const char *pattern, char *error, size_t error_size)
{
    if (!pattern || !*pattern) {
        title_filter_free(f);
        return true;
    }
    if (strlen(pattern) >= sizeof f->pattern) {
        snprintf(error, error_size, "pattern too long (%zu characters at most)",
                 sizeof f->pattern - 1);
        return false;
    }
    int code;
    PCRE2_SIZE offset;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                      PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &offset, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", code);
        if (offset >= strlen(pattern)) /* found missing at the end: "(" is not wrong at 2 */
            snprintf(error, error_size, "invalid pattern: %s at its end", (const char *)msg);
        else
            snprintf(error, error_size, "invalid pattern: %s at character %zu", (const char *)msg,
                     (size_t)offset + 1);
        return false;
    }
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    if (!md) {
        pcre2_code_free(re);
        snprintf(error, error_size, "out of memory");
        return false;
    }
    title_filter_free(f);
    f->code = re;
    f->match = md;
    snprintf(f->pattern, sizeof f->pattern, "%s", pattern);
    return true;
}

bool title_filter_active(const TitleFilter *f)
{
    return f->code != NULL;
}

static bool matches(const TitleFilter *f, const char *text)
{
    return pcre2_match(f->code, (PCRE2_SPTR)text, strlen(text), 0, 0, f->match, NULL) >= 0;
}

bool title_filter_match(const TitleFilter *f, const char *title)
{
    if (!f->code || matches(f, title))
        return true;
    /* a title with accents matches as spelt without them too (as an ASCII
     * terminal shows it: "miserables" finds Les Misérables) */
    bool ascii = true;
    for (const char *c = title; *c && ascii; c++)
        ascii = (unsigned char)*c < 0x80;
    if (ascii)
        return false;
    char *folded = malloc(strlen(title) + 1);
    if (!folded)
        return false;
    tui_fold_accents(title, folded);
    bool found = strcmp(folded, title) != 0 && matches(f, folded);
    free(folded);
    return found;
}
