# SYNTAX TEST "source.asm.gnu" "riscv and x86 (AT&T): # comments, their registers"
# a whole-line comment
# <- comment.line.number-sign.asm punctuation.definition.comment.asm
_start:
    la sp, __stack_top   # the stack
#   ^^ keyword.other.instruction.asm
#      ^^ variable.other.register.asm
#                        ^^^^^^^^^^^ comment.line.number-sign.asm
    li a0, 0x100000
#      ^^ variable.other.register.asm
#          ^^^^^^^^ constant.numeric.hex.asm
    csrr t0, mhartid
#        ^^ variable.other.register.asm
#            ^^^^^^^ variable.other.register.asm
    movq $0x10, %rax
#   ^^^^ keyword.other.instruction.asm
#        ^^^^^ constant.numeric.hex.asm
#               ^^^^ variable.other.register.asm
    .type main, @function
#   ^^^^^ keyword.other.directive.asm
#               ^^^^^^^^^ - comment
    mov r0, r1      @ arm: at-sign comment
#       ^^ variable.other.register.asm
#                   ^^^^^^^^^^^^^^^^^^^^^^ comment.line.at-sign.asm
    nop ; a semicolon comment after a space
#       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.semicolon.asm
counter = 5
# <- - keyword.other.instruction.asm
