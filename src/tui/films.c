/* films.c: the films pane's top lists under a title filter; see films.h. */
#include "films.h"

#include <string.h>

static bool title_passes(const Panel *panel, uint32_t film, void *filter)
{
    return title_filter_match(filter, panel->films[film].title);
}

size_t films_top(const Panel *panel, const int32_t *labels, int segment, int score,
                 const TitleFilter *filter, FilmCount *out, size_t n)
{
    return profile_top_films_kept(panel, labels, segment, score, filter ? title_passes : NULL,
                                  (void *)filter, out, n);
}

int films_columns_shown(int width)
{
    int n = (width + 1) / (FILMS_MIN_COLUMN + 1);
    return n < 1 ? 1 : n > 5 ? 5 : n;
}

bool films_title_without_year(const char *title, char *out, size_t size)
{
    size_t len = strlen(title);
    if (len < 8 || len >= size || title[len - 1] != ')' || title[len - 6] != '(' ||
        title[len - 7] != ' ')
        return false;
    for (size_t i = len - 5; i < len - 1; i++)
        if (title[i] < '0' || title[i] > '9')
            return false;
    memcpy(out, title, len - 7);
    out[len - 7] = 0;
    return true;
}
