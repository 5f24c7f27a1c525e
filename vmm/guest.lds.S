/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest payload is one flat image loaded at GUEST_CODE_GPA, _start
 * first.  .bss goes into the image too, so that the image is all the VMM
 * has to copy.
 */
#include "layout.h"

OUTPUT_FORMAT("elf64-x86-64")
ENTRY(_start)

SECTIONS
{
	. = GUEST_CODE_GPA;
	.text : {
		*(.text.entry)
		*(.text .text.*)
	}
	.rodata : { *(.rodata .rodata.*) }
	/* Its own page, so that no segment is writable and executable. */
	. = ALIGN(GUEST_PAGE_SIZE);
	.data : {
		*(.data .data.*)
		*(.bss .bss.*)
		*(COMMON)
	}
	/DISCARD/ : {
		*(.comment)
		*(.note .note.*)
		*(.eh_frame .eh_frame_hdr)
	}
}
