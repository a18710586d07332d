// SYNTAX TEST "source.asm.gnu" "aarch64: the sample guest's start-up code"
/* Entry at EL1 with no firmware. */
// <- comment.block.asm punctuation.definition.comment.begin.asm
#include "arch.h"
// <- meta.preprocessor.asm punctuation.definition.directive.asm
//^^^^^^ keyword.control.directive.asm
//       ^^^^^^^^ string.quoted.double.asm
    .section .text.start
//  ^^^^^^^^ keyword.other.directive.asm
    .global _start
//  ^^^^^^^ keyword.other.directive.asm
_start:
// <- entity.name.function.label.asm
//    ^ punctuation.separator.label.asm
    ldr x0, =__stack_top
//  ^^^ keyword.other.instruction.asm
//      ^^ variable.other.register.asm
    mov sp, x0          // set the stack
//  ^^^ keyword.other.instruction.asm
//      ^^ variable.other.register.asm
//          ^^ variable.other.register.asm
//                      ^^^^^^^^^^^^^^^^ comment.line.double-slash.asm
    ldr x0, =0x84000008
//           ^^^^^^^^^^ constant.numeric.hex.asm
    hvc #0
//      ^^ constant.numeric.decimal.asm
    mov x1, #PSCI_OFF
//          ^^^^^^^^^ - comment
1:  wfi
// <- entity.name.function.label.asm
//  ^^^ keyword.other.instruction.asm
    b 1b
//    ^^ entity.name.function.label.reference.asm
    add x0, x0, :lo12:msg
//              ^^^^^^ keyword.operator.relocation.asm
//                    ^^^ - keyword.other.instruction.asm
    stp x29, x30, [sp, #-16]!
//      ^^^ variable.other.register.asm
//                     ^^^^ constant.numeric.decimal.asm
msg: .asciz "hi\n"
// <- entity.name.function.label.asm
//   ^^^^^^ keyword.other.directive.asm
//          ^^^^^^ string.quoted.double.asm
//             ^^ constant.character.escape.asm
