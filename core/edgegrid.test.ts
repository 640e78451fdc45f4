import { describe, expect, it } from 'vitest';
import { edgeGridAuthorization, edgeGridTimestamp } from './edgegrid.ts';

// Vectors from Akamai's EdgeGrid client test data (akamai/AkamaiOPEN-edgegrid-python, testdata.json).
const credentials = {
  clientToken: 'akab-client-token-xxx-xxxxxxxxxxxxxxxx',
  clientSecret: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=',
  accessToken: 'akab-access-token-xxx-xxxxxxxxxxxxxxxx',
};
const base = 'https://akaa-baseurl-xxxxxxxxxxx-xxxxxxxxxxxxx.luna.akamaiapis.net';
const fixed = { timestamp: '20140321T19:34:21+0000', nonce: 'nonce-xx-xxxx-xxxx-xxxx-xxxxxxxxxxxx', maxBody: 2048 };
const prefix =
  'EG1-HMAC-SHA256 client_token=akab-client-token-xxx-xxxxxxxxxxxxxxxx;access_token=akab-access-token-xxx-xxxxxxxxxxxxxxxx;' +
  'timestamp=20140321T19:34:21+0000;nonce=nonce-xx-xxxx-xxxx-xxxx-xxxxxxxxxxxx;signature=';

describe('EdgeGrid signing', () => {
  it.each([
    ['simple GET', 'GET', '/', '', 'tL+y4hxyHxgWVD30X3pWnGKHcPzmrIF+LThiAOhMxYU='],
    ['GET with querystring', 'GET', '/testapi/v1/t1?p1=1&p2=2', '', 'hKDH1UlnQySSHjvIcZpDMbQHihTQ0XyVAKZaApabdeA='],
    ['POST inside limit', 'POST', '/testapi/v1/t3', 'datadatadatadatadatadatadatadata', 'hXm4iCxtpN22m4cbZb4lVLW5rhX8Ca82vCFqXzSTPe4='],
    ['POST too large (hash of the first max_body bytes)', 'POST', '/testapi/v1/t3', 'd'.repeat(2049), '6Q6PiTipLae6n4GsSIDTCJ54bEbHUBp+4MUXrbQCBoY='],
    ['POST empty body', 'POST', '/testapi/v1/t6', '', '1gEDxeQGD5GovIkJJGcBaKnZ+VaPtrc4qBUHixjsPCQ='],
    ['PUT (body not hashed)', 'PUT', '/testapi/v1/t6', 'PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP', 'GNBWEYSEWOLtu+7dD52da2C39aX/Jchpon3K/AmBqBU='],
  ])('matches the vendor vector: %s', (_name, method, path, body, signature) => {
    expect(edgeGridAuthorization(credentials, { method, url: `${base}${path}`, body, ...fixed })).toBe(`${prefix}${signature}`);
  });

  it('formats timestamps as EdgeGrid signs them', () => {
    expect(edgeGridTimestamp(new Date('2014-03-21T19:34:21.456Z'))).toBe('20140321T19:34:21+0000');
  });
});
