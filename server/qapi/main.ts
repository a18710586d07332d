// Entry point of the QAPI language server (bundled to dist/qapiServer.js). The transport (stdio, Node IPC or a
// socket) comes from the command line, as vscode-languageclient passes it.

import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { startQapiServer } from './server';

const connection = createConnection(ProposedFeatures.all);
startQapiServer(connection);
connection.listen();
