"""Numba for :mod:`sgdcore._compiled` and :mod:`sgdcore._shuffles`: how they are compiled (:func:`compile_function`,
cached outside the package), and LLVM instructions Numba does not offer: a prefetch hint, atomic loads and
stores between threads, and yielding the core. Importing this module fails where Numba cannot load."""

from __future__ import annotations

import os

import numba
from llvmlite import ir
from numba.core import cgutils
from numba.extending import intrinsic


def _cache_outside_the_package() -> None:
    """Keep Numba's cache in the user's cache directory rather than next to this file.

    A deployed app's directory should never be written to at run time (and may be read-only).
    A ``NUMBA_CACHE_DIR`` the user set still wins.
    """
    if not numba.config.CACHE_DIR:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        numba.config.CACHE_DIR = os.path.join(base, "sgdcore", "numba")


def compile_function(function, fastmath=False):
    """``function`` compiled by Numba without the GIL, its machine code cached (:func:`_cache_outside_the_package`)."""
    options = {"fastmath": fastmath, "nogil": True, "error_model": "numpy"}
    try:
        return numba.njit(cache=True, **options)(function)
    except RuntimeError:
        # No writable cache directory anywhere (neither next to the module nor the user's cache):
        # compile at every start-up instead of failing.
        return numba.njit(cache=False, **options)(function)


_cache_outside_the_package()  # before anything is compiled: njit(cache=True) checks the directory at once


@intrinsic
def prefetch(typingctx, address):
    """LLVM's ``prefetch`` of the byte at an integer address: a read, into L2 and beyond (locality 2)."""

    def codegen(context, builder, signature, args):
        byte_pointer = ir.IntType(8).as_pointer()
        int32 = ir.IntType(32)
        function_type = ir.FunctionType(ir.VoidType(), [byte_pointer, int32, int32, int32])
        llvm_prefetch = cgutils.get_or_insert_function(builder.module, function_type, "llvm.prefetch.p0i8")
        builder.call(llvm_prefetch, [builder.inttoptr(args[0], byte_pointer), int32(0), int32(2), int32(1)])
        return context.get_dummy_value()

    return numba.types.void(numba.types.intp), codegen


@intrinsic
def load_acquire(typingctx, array, index):
    """``array[index]`` (int64) read atomically, after which the writes published before it are seen.

    A plain read in a spin loop may be read once and kept in a register by the compiler; this one
    is read from memory every time.
    """

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        pointer = cgutils.get_item_pointer(
            context, builder, array_type, context.make_array(array_type)(context, builder, args[0]), [args[1]]
        )
        return builder.load_atomic(pointer, "acquire", 8)

    return numba.types.int64(array, numba.types.intp), codegen


@intrinsic
def store_release(typingctx, array, index, value):
    """``array[index] = value`` (int64) written atomically, after every write before it."""

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        pointer = cgutils.get_item_pointer(
            context, builder, array_type, context.make_array(array_type)(context, builder, args[0]), [args[1]]
        )
        builder.store_atomic(args[2], pointer, "release", 8)
        return context.get_dummy_value()

    return numba.types.void(array, numba.types.intp, numba.types.int64), codegen


@intrinsic
def yield_processor(typingctx):
    """Let another thread run on this core (POSIX ``sched_yield``; nothing where there is none).

    A part that has waited long for another is likely waiting for a thread that is not running
    (more busy threads than cores): yielding lets that thread run instead of spinning out a time slice.
    """

    def codegen(context, builder, signature, args):
        if os.name == "posix":
            function_type = ir.FunctionType(ir.IntType(32), [])
            builder.call(cgutils.get_or_insert_function(builder.module, function_type, "sched_yield"), [])
        return context.get_dummy_value()

    return numba.types.void(), codegen
