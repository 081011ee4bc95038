import { describe, expect, it } from 'vitest';
import { parseListeningSockets, portTaken } from './proc-net.js';

// Lines as the kernel prints them (header, a listener on 0.0.0.0:2024, one on 127.0.0.1:2222, an
// established connection, then tcp6: ::1:40123, :::40124, ::ffff:127.0.0.1:40125).
const procNet = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1065 1 0000000087a7ed92 100 0 0 10 0
   1: 0100007F:08AE 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 103244 1 000000005ec25579 100 0 0 10 0
   2: 0100007F:08AE 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 0 1 0000000087a7ed92 20 4 30 10 -1
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:9CBB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 290794 1 000000004af81285 100 0 0 10 0
   1: 00000000000000000000000000000000:9CBC 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 290795 1 00000000332b2542 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:9CBD 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 290796 1 0000000047a946ce 100 0 0 10 0
`;

describe('parseListeningSockets', () => {
  it('reads IPv4 and IPv6 listeners and skips other states', () => {
    expect(parseListeningSockets(procNet)).toEqual([
      { address: '0.0.0.0', port: 2024 },
      { address: '127.0.0.1', port: 2222 },
      { address: '::1', port: 40123 },
      { address: '::', port: 40124 },
      { address: '::ffff:127.0.0.1', port: 40125 },
    ]);
  });

  it('returns nothing for empty or foreign text', () => {
    expect(parseListeningSockets('')).toEqual([]);
    expect(parseListeningSockets('garbage\nmore garbage')).toEqual([]);
  });
});

describe('portTaken', () => {
  const sockets = parseListeningSockets(procNet);
  it.each([
    ['127.0.0.1', 2222, true],
    ['0.0.0.0', 2222, true],
    ['10.0.0.5', 2222, false],
    ['10.0.0.5', 2024, true],
    ['127.0.0.1', 40124, true],
    ['127.0.0.1', 40125, true],
    ['127.0.0.1', 9999, false],
  ])('%s:%d is taken: %s', (address, port, taken) => {
    expect(portTaken(sockets, address, port)).toBe(taken);
  });
});
