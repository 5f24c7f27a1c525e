/* SPDX-License-Identifier: GPL-2.0 */
/* The guest payload, built by the Makefile, inside the VMM's binary. */
	.section .rodata
	.globl guest_image, guest_image_end
	.balign 16
guest_image:
	.incbin "guest.bin"
guest_image_end:
	.section .note.GNU-stack, "", @progbits
