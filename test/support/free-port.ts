/**
 * A port for a child server the test starts with an explicit PORT, picked at random below
 * Linux's ephemeral range (32768–60999). A port inside that range can be the source port the
 * kernel gives a client connecting to it while nothing listens yet: the socket then connects to
 * itself and reads back its own request, which undici reports as "Response does not match the
 * HTTP/1.1 protocol (Expected HTTP/)". Tests that probe a server while it starts hit exactly that.
 */
export const freePort = (): number => 10_000 + Math.floor(Math.random() * 22_000);
