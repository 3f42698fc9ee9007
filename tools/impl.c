/* The one translation unit that compiles the olmoe.h implementation for the tools. */
#define OLMOE_IMPLEMENTATION
#include "../olmoe.h"
