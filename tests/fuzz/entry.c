/* entry.c: the libFuzzer entry point; FUZZ_TARGET names the target function
 * (make fuzz compiles this once per target with -DFUZZ_TARGET=fuzz_...). */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return FUZZ_TARGET(data, size);
}
