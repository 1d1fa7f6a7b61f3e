// libxdo needs Xlib's types declared before its header.
#include <X11/Xlib.h>
#include <xdo.h>
