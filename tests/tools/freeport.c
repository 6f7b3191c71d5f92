/*
 * tests/tools/freeport.c
 *     Print a free TCP port on 127.0.0.1: bind port 0, read back the port the
 *     kernel chose, close.  Used by the test harness to start PostgreSQL on a
 *     port no other test or service uses (never a hard-coded port).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(void)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0) {
        perror("freeport: socket");
        return 1;
    }
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        perror("freeport: bind");
        close(fd);
        return 1;
    }
    printf("%u\n", (unsigned)ntohs(addr.sin_port));
    close(fd);
    return 0;
}
