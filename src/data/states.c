/* states.c: the table of US states and territories; see states.h. */
#include "filmseg/states.h"

#include <stdbool.h>
#include <strings.h>

static const StateInfo STATES[] = {
    {"??", "unknown"},
    {"AL", "Alabama"},
    {"AK", "Alaska"},
    {"AZ", "Arizona"},
    {"AR", "Arkansas"},
    {"CA", "California"},
    {"CO", "Colorado"},
    {"CT", "Connecticut"},
    {"DE", "Delaware"},
    {"DC", "District of Columbia"},
    {"FL", "Florida"},
    {"GA", "Georgia"},
    {"HI", "Hawaii"},
    {"ID", "Idaho"},
    {"IL", "Illinois"},
    {"IN", "Indiana"},
    {"IA", "Iowa"},
    {"KS", "Kansas"},
    {"KY", "Kentucky"},
    {"LA", "Louisiana"},
    {"ME", "Maine"},
    {"MD", "Maryland"},
    {"MA", "Massachusetts"},
    {"MI", "Michigan"},
    {"MN", "Minnesota"},
    {"MS", "Mississippi"},
    {"MO", "Missouri"},
    {"MT", "Montana"},
    {"NE", "Nebraska"},
    {"NV", "Nevada"},
    {"NH", "New Hampshire"},
    {"NJ", "New Jersey"},
    {"NM", "New Mexico"},
    {"NY", "New York"},
    {"NC", "North Carolina"},
    {"ND", "North Dakota"},
    {"OH", "Ohio"},
    {"OK", "Oklahoma"},
    {"OR", "Oregon"},
    {"PA", "Pennsylvania"},
    {"RI", "Rhode Island"},
    {"SC", "South Carolina"},
    {"SD", "South Dakota"},
    {"TN", "Tennessee"},
    {"TX", "Texas"},
    {"UT", "Utah"},
    {"VT", "Vermont"},
    {"VA", "Virginia"},
    {"WA", "Washington"},
    {"WV", "West Virginia"},
    {"WI", "Wisconsin"},
    {"WY", "Wyoming"},
    {"PR", "Puerto Rico"},
    {"VI", "Virgin Islands"},
    {"GU", "Guam"},
    {"AS", "American Samoa"},
    {"MP", "Northern Mariana Islands"},
};

size_t state_count(void)
{
    return sizeof STATES / sizeof STATES[0];
}

const StateInfo *state_info(int index)
{
    if (index < 0 || (size_t)index >= state_count())
        return &STATES[0];
    return &STATES[index];
}

static int upper(char c)
{
    return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

int state_find(const char *code_or_name, size_t len)
{
    if (len == 2) {
        /* Codes are looked up for every row of a ZIP list: a direct table. */
        static signed char by_code[26][26];
        static bool ready;
        if (!ready) {
            for (size_t i = 1; i < state_count(); i++)
                by_code[STATES[i].code[0] - 'A'][STATES[i].code[1] - 'A'] = (signed char)i;
            ready = true;
        }
        int a = upper(code_or_name[0]) - 'A', b = upper(code_or_name[1]) - 'A';
        return a >= 0 && a < 26 && b >= 0 && b < 26 ? by_code[a][b] : STATE_UNKNOWN;
    }
    for (size_t i = 1; i < state_count(); i++)
        if (strncasecmp(STATES[i].name, code_or_name, len) == 0 && STATES[i].name[len] == '\0')
            return (int)i;
    return STATE_UNKNOWN;
}
