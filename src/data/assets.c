/* assets.c: embeds files from assets/ into the binary with the assembler's
 * .incbin (paths are relative to the top of the source tree, where make runs
 * the compiler); see assets.h. */
#include "filmseg/assets.h"

#include <stdint.h>
#include <string.h>

/* symbol_start: the file's bytes and a NUL; symbol_size: their number, computed
 * by the assembler (so C never subtracts pointers to different objects). */
#define EMBED(symbol, path)                                                                        \
    __asm__(".section .rodata\n.global " #symbol "_start\n.balign 16\n" #symbol "_start:\n"        \
            ".incbin \"" path "\"\n" #symbol "_end:\n.byte 0\n.balign 8\n.global " #symbol         \
            "_size\n" #symbol "_size:\n.quad " #symbol "_end - " #symbol "_start\n.previous\n");   \
    extern const char symbol##_start[];                                                            \
    extern const uint64_t symbol##_size;

EMBED(zip3_states, "assets/zip3_states.txt")
EMBED(demo_user, "assets/demo/u.user")
EMBED(demo_item, "assets/demo/u.item")
EMBED(demo_data, "assets/demo/u.data")
EMBED(demo_genre, "assets/demo/u.genre")

#define ASSET(symbol) ((Asset){symbol##_start, (size_t)symbol##_size})

Asset asset_zip3_states(void)
{
    return ASSET(zip3_states);
}

Asset asset_demo_file(const char *name)
{
    if (strcmp(name, "u.user") == 0)
        return ASSET(demo_user);
    if (strcmp(name, "u.item") == 0)
        return ASSET(demo_item);
    if (strcmp(name, "u.data") == 0)
        return ASSET(demo_data);
    if (strcmp(name, "u.genre") == 0)
        return ASSET(demo_genre);
    return (Asset){"", 0};
}
