/* SPDX-License-Identifier: MIT */
/* exobpf: the eBPF system in user space. Include this for everything. */
#ifndef EXOBPF_H
#define EXOBPF_H

#include "exobpf/common.h"
#include "exobpf/insn.h"
#include "exobpf/map.h"
#include "exobpf/prog.h"
#include "exobpf/btf.h"
#include "exobpf/object.h"
#include "exobpf/cbpf.h"
#include "exobpf/capture.h"
#include "exobpf/verifier.h"
#include "exobpf/trace.h"
#include "exobpf/hook.h"

#endif
