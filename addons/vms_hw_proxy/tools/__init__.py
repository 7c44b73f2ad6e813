from . import pdf_raster
