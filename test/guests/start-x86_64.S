/*
 * Entry through QEMU's PVH boot (-kernel with an ELF that has a XEN_ELFNOTE_PHYS32_ENTRY note; QEMU's multiboot
 * loader refuses 64-bit ELFs): the firmware's PVH stub jumps here in 32-bit protected mode with paging off.
 * Switch to long mode (the first 4 GiB identity-mapped with 2 MiB pages, set up at build time), set the stack,
 * call main, power off through ACPI: S5 in the PM1a control register on pc and q35 (port 0x604, where SeaBIOS puts the
 * PM block), or in the GED's sleep control register on microvm (MMIO; qboot sets nothing up). Each machine ignores
 * the other one's write. Either makes QEMU shut down cleanly, which ends a recording the way QEMU replays.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

    .section .note.pvh, "a", @note
    .p2align 2
    .long 2f - 1f                   /* name size */
    .long 4f - 3f                   /* descriptor size */
    .long XEN_ELFNOTE_PHYS32_ENTRY
1:  .asciz "Xen"
2:  .p2align 2
3:  .quad _start                    /* QEMU reads a 64-bit address from a 64-bit ELF */
4:  .p2align 2

    .section .text.start, "ax"
    .code32
    .global _start
_start:
    cli
    movl $pml4, %eax
    movl %eax, %cr3
    movl %cr4, %eax
    orl $(1 << 5), %eax             /* PAE */
    movl %eax, %cr4
    movl $0xc0000080, %ecx          /* EFER */
    rdmsr
    orl $(1 << 8), %eax             /* LME */
    wrmsr
    movl %cr0, %eax
    orl $((1 << 31) | 1), %eax      /* PG, PE */
    movl %eax, %cr0
    lgdt gdt_pointer
    ljmp $0x08, $long_mode

    .code64
long_mode:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movq $__stack_top, %rsp
    call main
    movw $0x2000, %ax               /* pc, q35: PM1a control: SLP_EN, SLP_TYP 0 (QEMU's S5) */
    movw $0x604, %dx
    outw %ax, %dx
    movl $0xfea00200, %eax          /* microvm: the ACPI GED's sleep control register */
    movb $0x34, (%rax)              /* SLP_EN, S5 */
1:  cli
    hlt
    jmp 1b

    .section .rodata
    .p2align 3
gdt:
    .quad 0
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: data */
gdt_pointer:
    .word gdt_pointer - gdt - 1
    .long gdt

    .section .data.pagetables, "aw"
    .p2align 12
pml4:
    .quad pdpt + 3                  /* present, writable */
    .fill 511, 8, 0
pdpt:
    .quad pd + 3
    .quad pd + 0x1000 + 3
    .quad pd + 0x2000 + 3
    .quad pd + 0x3000 + 3
    .fill 508, 8, 0
pd:
    .set .Lpage, 0
    .rept 2048
    .quad (.Lpage << 21) | 0x83       /* present, writable, 2 MiB */
    .set .Lpage, .Lpage + 1
    .endr

    .section .note.GNU-stack, "", @progbits
