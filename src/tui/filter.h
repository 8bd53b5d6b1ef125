/* filter.h (private to src/tui): the films pane's title filter, a PCRE2
 * pattern matched caselessly; an invalid pattern leaves the old one. */
#ifndef FILMSEG_TUI_FILTER_H
#define FILMSEG_TUI_FILTER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    void *code;  /* pcre2_code *, NULL: no filter */
    void *match; /* pcre2_match_data * */
    char pattern[256];
} TitleFilter;

void title_filter_init(TitleFilter *f);
/* Sets the pattern; "" clears it. On an invalid pattern returns false, keeps
 * the old filter and writes why (with the offset) into error. */
bool title_filter_set(TitleFilter *f, const char *pattern, char *error, size_t error_size);
/* True when the title matches, or its accents dropped (tui_fold_accents),
 * or when there is no filter. */
bool title_filter_match(const TitleFilter *f, const char *title);
bool title_filter_active(const TitleFilter *f);
void title_filter_free(TitleFilter *f);

#endif
