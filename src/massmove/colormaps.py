"""Cyclic colour maps shared by the report and the QGIS styles, beside cmcrameri's romaO.

``PHASE`` is cmocean's "phase" (Thyng et al. 2016, "True colors of oceanography", Oceanography
29(3); MIT licence, cmocean 4.0.3 ``rgb/phase-rgb.txt``), the cyclic map QGIS users know for
wrapped interferometric phase. Its 256 colours are held here, 8 bits per channel, rather than
imported from cmocean, whose import warns under matplotlib 3.11 and breaks under 3.13.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from cmcrameri import cm
from matplotlib.colors import Colormap, ListedColormap

_PHASE_HEX = (
    "a8780da9770fab7611ac7513ae7414af7316b17218b27119b3701bb56f1db66e1eb76d20b96c22ba6b23bb6a25bd6926"
    "be6828bf672ac0662bc1652dc2642ec46230c56132c66033c75f35c85e37c95d38ca5c3acb5a3ccc593ecd583fce5741"
    "cf5643d05445d05347d15249d2514bd34f4dd44e4fd54d51d54b53d64a55d74957d8475ad8465cd9455ed94361da4263"
    "db4066db3f68dc3d6bdc3c6ddd3a70dd3973dd3876de3678de357bde337ede3281df3184df2f87df2e8adf2d8ddf2b90"
    "df2a93de2997de289ade289dde27a0dd26a3dd26a6dc25a9dc25addb25b0da25b3da26b6d926b9d827bcd727bed628c1"
    "d529c4d42ac7d32bc9d22dccd12eced02fd0cf31d3cd32d5cc34d7cb35d9c937dbc839ddc63adfc53ce1c33ee2c23fe4"
    "c041e5be43e7bd45e8bb46e9b948ebb84aecb64bedb44deeb24fefb050efae52f0ac54f1aa55f1a957f2a759f3a45af3"
    "a25cf3a05df49e5ff49c60f49a62f49863f49565f49366f49168f48f69f48c6bf38a6cf3876df3856ff28270f18071f1"
    "7d73f07b74ef7875ef7677ee7378ed7079ec6e7aeb6b7be9687ce8667ee7637fe66080e45d81e35a82e15883df5584de"
    "5285dc4f86da4d87d84a87d74788d54589d3428ad1408acf3d8bcd3b8ccb388cc9368dc7348ec4328ec2308fc02e8fbe"
    "2c90bc2a90ba2891b82791b62591b42492b22392b02192ae2093ac1f93aa1e93a81d94a61c94a41b94a21a94a019959e"
    "19959c18959a17959816969615969414969214969013978e12978c11978a1097880f97860e98840d98820d98800c987e"
    "0c987c0b99790b99770b99750c99730d99700e996e0f9a6b119a69139a66159a63179a61199a5e1c9a5b1f9a58219a55"
    "249a52279a4f2b9a4c2e9a493199463599433899403c993c4098394398364797324b972f4f962c5396295695265a9423"
    "5e942061931e65921b6891196b90176f9016728f14748e13778d127a8c117d8b107f8b0f828a0f84890e86880e88870e"
    "8b860d8d850d8f840d91830d93830d95820d97810d99800d9b7f0d9d7e0d9f7d0da17c0da27b0da47a0da6790da8780d"
)


def _from_hex(text: str, name: str) -> ListedColormap:
    rgb = np.frombuffer(bytes.fromhex(text), dtype=np.uint8).reshape(-1, 3) / 255.0
    return ListedColormap(rgb, name=name)


#: cmocean's cyclic "phase" colour map (256 colours)
PHASE = _from_hex("".join(_PHASE_HEX), "phase")


class BandStyle(NamedTuple):
    """How a band is coloured: a colour map over ``[vmin, vmax]``, its legend text, and whether
    the band is an angle whose ends meet (``cyclic``)."""

    label: str
    cmap: Colormap
    vmin: float
    vmax: float
    legend: str
    cyclic: bool = False


#: the bands the report and the QGIS styles show, by name
STYLES: Mapping[str, BandStyle] = {
    "phase_romao": BandStyle("wrapped phase", cm.romaO, -np.pi, np.pi, "romaO (cyclic), -pi to pi rad", True),
    "phase_cmocean": BandStyle(
        "wrapped phase", PHASE, -np.pi, np.pi, "phase (cyclic, cmocean), -pi to pi rad", True
    ),
    "likelihood_mean": BandStyle("likelihood mean", cm.batlow, 0.0, 1.0, "batlow, 0 to 1"),
    "likelihood_spread": BandStyle("likelihood spread", cm.oslo.reversed(), 0.0, 0.5, "oslo, 0 to 0.5"),
    "coherence": BandStyle("coherence", cm.grayC.reversed(), 0.0, 1.0, "grey, 0 (black) to 1 (white)"),
}
