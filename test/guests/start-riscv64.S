/* Entry in M-mode with -bios none: set the stack, call main, power off through the virt board's test device. */
    .section .text.start
    .global _start
_start:
    la sp, __stack_top
    call main
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
1:  wfi
    j 1b
