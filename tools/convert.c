/* placeholder until the converter lands (being written now) */
#include "cli.h"
#include <stdio.h>
int cmd_convert(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "convert: not built yet\n"); return 1; }
