/* main.c: filmseg's entry point: global --help and --version, then one
 * function per command (report, train, score, export, ...). */
#include "commands.h"

#include "filmseg/model.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "filmseg %s: film-rating panels into audience segments\n"
            "\n"
            "usage: filmseg [COMMAND] [OPTIONS]\n"
            "\n"
            "commands:\n"
            "  explore    the terminal explorer (panes, live training; the default on a terminal)\n"
            "  report     print the audience report of a panel (with --model: its segments)\n"
            "  train      train the segmentation and write a model file\n"
            "  score      assign new users to the segments of a model\n"
            "  export     write a table of a model's segments as CSV\n"
            "  synth      write a synthetic panel with planted segments (and truth.csv)\n"
            "\n"
            "panel options (every command that reads a panel):\n"
            "  --data DIR              MovieLens 100K, 1M or CSV folder (default: built-in demo)\n"
            "  --zips FILE             simplemaps-style US ZIP list (default: built-in prefixes)\n"
            "  --exclude-states LIST   states to drop, in place of the default AK,HI\n"
            "  --keep-unknown-state    keep users whose ZIP has no US state\n"
            "  --strict                stop at the first malformed line\n"
            "\n"
            "Without a command, filmseg opens the explorer on a terminal, and otherwise\n"
            "prints the report of the panel (the built-in demo panel without --data).\n"
            "filmseg COMMAND --help shows a command's options; man filmseg has the rest.\n",
            FILMSEG_VERSION);
}

/* The command argv names (explore without one), or the global --help or
 * --version. */
static int run_command(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        /* the model format too: an older binary cannot read a newer model */
        printf("filmseg %s\nmodel files: writes version %d, reads versions %d to %d\n",
               FILMSEG_VERSION, MODEL_VERSION, MODEL_OLDEST_VERSION, MODEL_VERSION);
        return 0;
    }
    /* getopt's own messages ("option '--zips' requires an argument") begin
     * with argv[0]: "filmseg CMD", as every other message does */
    static char command_name[32];
    if (argc < 2 || argv[1][0] == '-')
        return cmd_explore(argc, argv); /* the report when not on a terminal */
    snprintf(command_name, sizeof command_name, "filmseg %s", argv[1]);
    const char *command = argv[1];
    argv[1] = command_name;
    if (strcmp(command, "explore") == 0)
        return cmd_explore(argc - 1, argv + 1);
    if (strcmp(command, "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    if (strcmp(command, "train") == 0)
        return cmd_train(argc - 1, argv + 1);
    if (strcmp(command, "score") == 0)
        return cmd_score(argc - 1, argv + 1);
    if (strcmp(command, "export") == 0)
        return cmd_export(argc - 1, argv + 1);
    if (strcmp(command, "synth") == 0)
        return cmd_synth(argc - 1, argv + 1);
    fprintf(stderr, "filmseg: unknown command '%s'\n\n", command);
    usage(stderr);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
#ifdef __GLIBC__
    /* Arrays of 1 MiB and more (bigalloc.h's on huge pages among them) on
     * mappings of their own, given back when freed; smaller ones from the
     * heap, reused. glibc otherwise raises this threshold each time it frees
     * such an array and keeps later big ones in its heap, where memory on
     * huge pages stays: the default pipeline's peak was 31 MiB, 16.5 MiB
     * with the threshold fixed (ml-100k); at 1 MiB rather than glibc's first
     * 128 KiB the study settings take 3,700 page faults, not 4,600. */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
    /* a file past the size limit (ulimit -f) is a write that fails, said
     * with its file's name ("File too large"), not a signal that ends the
     * program leaving its temporary files behind */
    signal(SIGXFSZ, SIG_IGN);
    int status = run_command(argc, argv);
    /* what went to standard output must have arrived (a full disk, a closed
     * output): otherwise a script would take a cut-off table for the whole */
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "filmseg: cannot write the output: %s\n",
                errno ? strerror(errno) : "a write failed");
        return status ? status : EXIT_INPUT;
    }
    return status;
}
