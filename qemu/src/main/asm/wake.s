# /usr/lib/virga/wake of the tiny image (its bytes: WakeProgram.java), the first thing a VM resumed from a warm
# state runs. stdin: the host's clock (struct timeval: seconds and microseconds, 64-bit little endian), then random
# bytes from the host. It sets the clock, credits the bytes to the kernel's input pool and reseeds the CRNG from it
# now. Exit 0 on success; 1 stdin too short; 5 settimeofday refused; 2 /dev/random cannot be opened; 3
# RNDADDENTROPY, 4 RNDRESEEDCRNG refused. Assemble and link:
#   as -o wake.o wake.s && ld -static -N -s --build-id=none -o wake wake.o
        .intel_syntax noprefix
        .globl _start
        .text
_start:
        xor     eax, eax                # n = read(0, buf, 528)
        xor     edi, edi
        lea     rsi, [rip + buf]
        mov     edx, 528
        syscall
        mov     edi, 1
        cmp     rax, 17                 # the timeval and at least one random byte
        jl      quit
        mov     r13, rax
        mov     eax, 164                # settimeofday(buf, NULL)
        lea     rdi, [rip + buf]
        xor     esi, esi
        syscall
        mov     edi, 5
        test    eax, eax
        jnz     quit
        lea     rbx, [rip + buf + 8]    # rand_pool_info over the used tv_usec: { bits, bytes } then the bytes
        mov     eax, r13d
        sub     eax, 16
        mov     [rbx + 4], eax
        shl     eax, 3
        mov     [rbx], eax
        mov     eax, 2                  # open("/dev/random", O_RDWR)
        lea     rdi, [rip + path]
        mov     esi, 2
        xor     edx, edx
        syscall
        mov     edi, 2
        test    eax, eax
        js      quit
        mov     r12d, eax
        mov     eax, 16                 # ioctl(fd, RNDADDENTROPY, info)
        mov     edi, r12d
        mov     esi, 0x40085203
        mov     rdx, rbx
        syscall
        mov     edi, 3
        test    eax, eax
        jnz     quit
        mov     eax, 16                 # ioctl(fd, RNDRESEEDCRNG, 0)
        mov     edi, r12d
        mov     esi, 0x5207
        xor     edx, edx
        syscall
        mov     edi, 4
        test    eax, eax
        jnz     quit
        xor     edi, edi
quit:
        mov     eax, 60                 # exit(edi)
        syscall
path:
        .asciz  "/dev/random"
        .bss
        .align  8
buf:
        .zero   528
