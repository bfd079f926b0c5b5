import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { daemonPaths, defaultHome } from '../src/index.js';

describe('daemonPaths', () => {
  it('lays out the files of a home', () => {
    assert.deepEqual(daemonPaths('/h'), {
      home: '/h',
      token: '/h/token',
      tlsKey: '/h/tls/key.pem',
      tlsCert: '/h/tls/cert.pem',
      socket: '/h/daemon.sock',
      pidFile: '/h/daemon.pid',
      logFile: '/h/daemon.log',
      stateDir: '/h/state',
      endpoint: '/h/endpoint.json',
    });
  });
  it('takes HARNESS_HOME, else ~/.harness', () => {
    assert.equal(defaultHome({ HARNESS_HOME: '/srv/h' }), '/srv/h');
    assert.equal(defaultHome({ HARNESS_HOME: '' }), join(homedir(), '.harness'));
    assert.equal(defaultHome({}), join(homedir(), '.harness'));
  });
});
