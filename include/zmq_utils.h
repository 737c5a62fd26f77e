/* zmq_utils.h: kept for programs that still include it. Everything it used
 * to declare lives in zmq.h, which is all a program needs.
 * SPDX-License-Identifier: MPL-2.0 */

#ifndef __ZMQ_UTILS_H_INCLUDED__
#define __ZMQ_UTILS_H_INCLUDED__

#include "zmq.h"

#endif
