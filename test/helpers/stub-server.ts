import {type IncomingMessage, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

/** A local HTTP server answering every request with the same scripted response, counting requests. */
export async function stubServer(status: number, body: unknown) {
  const requests: Array<{method?: string; url?: string; authorization?: string}> = []
  const server = createServer((req: IncomingMessage, res) => {
    requests.push({method: req.method, url: req.url, authorization: req.headers.authorization})
    res.writeHead(status, {'Content-Type': 'application/json'})
    res.end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
