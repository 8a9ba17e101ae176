"""Pure decisions of the secondment service: units, cadres, secondments and the township 5 % target."""
