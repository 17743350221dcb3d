import { Container } from 'inversify';
import { createContainer } from '@fusion/core';
import { encodersModule } from '@fusion/encoders';
import { fusionModule } from '@fusion/fusion';
import { headsModule } from '@fusion/heads';
import { sensorsModule } from '@fusion/sensors';

/** A container with every built-in plugin package loaded. */
export function createDefaultContainer(): Container {
  return createContainer(sensorsModule, encodersModule, fusionModule, headsModule);
}
