/* states.c: the table of US states and territories; see states.h. */
#include "filmseg/states.h"

#include <strings.h>

static const StateInfo STATES[] = {
    {"??", "unknown"},
    {"AL", "Alabama"},        {"AK", "Alaska"},         {"AZ", "Arizona"},
    {"AR", "Arkansas"},       {"CA", "California"},     {"CO", "Colorado"},
    {"CT", "Connecticut"},    {"DE", "Delaware"},       {"DC", "District of Columbia"},
    {"FL", "Florida"},        {"GA", "Georgia"},        {"HI", "Hawaii"},
    {"ID", "Idaho"},          {"IL", "Illinois"},       {"IN", "Indiana"},
    {"IA", "Iowa"},           {"KS", "Kansas"},         {"KY", "Kentucky"},
    {"LA", "Louisiana"},      {"ME", "Maine"},          {"MD", "Maryland"},
    {"MA", "Massachusetts"},  {"MI", "Michigan"},       {"MN", "Minnesota"},
    {"MS", "Mississippi"},    {"MO", "Missouri"},       {"MT", "Montana"},
    {"NE", "Nebraska"},       {"NV", "Nevada"},         {"NH", "New Hampshire"},
    {"NJ", "New Jersey"},     {"NM", "New Mexico"},     {"NY", "New York"},
    {"NC", "North Carolina"}, {"ND", "North Dakota"},   {"OH", "Ohio"},
    {"OK", "Oklahoma"},       {"OR", "Oregon"},         {"PA", "Pennsylvania"},
    {"RI", "Rhode Island"},   {"SC", "South Carolina"}, {"SD", "South Dakota"},
    {"TN", "Tennessee"},      {"TX", "Texas"},          {"UT", "Utah"},
    {"VT", "Vermont"},        {"VA", "Virginia"},       {"WA", "Washington"},
    {"WV", "West Virginia"},  {"WI", "Wisconsin"},      {"WY", "Wyoming"},
    {"PR", "Puerto Rico"},    {"VI", "Virgin Islands"}, {"GU", "Guam"},
    {"AS", "American Samoa"}, {"MP", "Northern Mariana Islands"},
};

size_t state_count(void) { return sizeof STATES / sizeof STATES[0]; }

const StateInfo *state_info(int index)
{
    if (index < 0 || (size_t)index >= state_count())
        return &STATES[0];
    return &STATES[index];
}

int state_find(const char *code_or_name, size_t len)
{
    for (size_t i = 1; i < state_count(); i++) {
        const char *code = STATES[i].code, *name = STATES[i].name;
        if ((len == 2 && strncasecmp(code, code_or_name, 2) == 0) ||
            (strncasecmp(name, code_or_name, len) == 0 && name[len] == '\0'))
            return (int)i;
    }
    return STATE_UNKNOWN;
}
