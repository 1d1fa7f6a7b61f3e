// OpenBLAS's CBLAS interface (Debian: libopenblas-dev puts cblas.h on the include path via alternatives).
#include <cblas.h>
