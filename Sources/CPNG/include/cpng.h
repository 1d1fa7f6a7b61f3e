#ifndef CPNG_H
#define CPNG_H
// Placeholder; the PNG shim is written with the Imaging target.
int cpng_placeholder(void);
#endif
